// Marathon's words for an app's state and its health bar, from the counts /v2/apps returns.
import { bar } from './dom.js';

export function appStatus(app) {
  if (app.deployments?.length) return 'Deploying';
  if (app.instances === 0 && app.tasksRunning === 0) return 'Suspended';
  if (app.tasksRunning < app.instances) return 'Waiting';
  return 'Running';
}

/** Healthy, unhealthy, running with no result yet (unknown), staged, and instances not started at all. */
export function healthBar(app) {
  const healthy = app.tasksHealthy || 0;
  const unhealthy = app.tasksUnhealthy || 0;
  const hasChecks = (app.healthChecks || []).length > 0;
  const running = app.tasksRunning || 0;
  const staged = app.tasksStaged || 0;
  const unknown = hasChecks ? Math.max(0, running - healthy - unhealthy) : 0;
  const plain = hasChecks ? 0 : running;
  const missing = Math.max(0, app.instances - running - staged);
  const total = Math.max(app.instances, running + staged);
  return bar([
    { n: healthy, cls: 'healthy', title: 'healthy' },
    { n: plain, cls: 'running', title: 'running (no health checks)' },
    { n: unhealthy, cls: 'unhealthy', title: 'unhealthy' },
    { n: unknown, cls: 'unknown', title: 'health unknown' },
    { n: staged, cls: 'staged', title: 'staged' },
    { n: missing, cls: 'unscheduled', title: 'waiting to start' },
  ], total);
}

/** A task's health: healthy when every check passes, unhealthy when one fails, unknown before the first result. */
export function taskHealth(app, task) {
  if (!(app.healthChecks || []).length) return '';
  const results = task.healthCheckResults || [];
  if (results.length === 0) return 'unknown';
  return results.every(r => r.alive) ? 'healthy' : 'unhealthy';
}
