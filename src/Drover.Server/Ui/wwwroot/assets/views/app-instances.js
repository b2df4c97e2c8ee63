// An app's tasks: host, ports, state, each health check's result with its last failure, version, age.
import { h, mount, ago, unchanged } from '../dom.js';
import { taskHealth } from '../status.js';
import { send, appUrl } from '../api.js';
import { act } from '../ui.js';

export function instancesTab(root, ctx) {
  const same = unchanged();
  function update(app) {
    const tasks = app.tasks;
    if (same(JSON.stringify([tasks, app.healthChecks]))) return;
    if (!tasks) { mount(root, h('p', { class: 'muted' }, 'Loading…')); return; }
    if (tasks.length === 0) { mount(root, h('p', { class: 'muted empty' }, 'No instances.')); return; }
    mount(root, h('table', { class: 'table', id: 'tasks' },
      h('thead', null, h('tr', null, ['ID', 'Host', 'Ports', 'Status', 'Health', 'Version', 'Started', ''].map(c => h('th', null, c)))),
      h('tbody', null, [...tasks].sort((a, b) => a.id.localeCompare(b.id)).map(t => row(app, t)))));
  }

  function row(app, t) {
    const health = taskHealth(app, t);
    return h('tr', { 'data-task': t.id },
      h('td', { class: 'mono' }, h('a', { href: '#', onclick: ev => { ev.preventDefault(); ctx.selectTask(t.id); }, title: 'logs' }, t.id)),
      h('td', null, t.host),
      h('td', { class: 'mono' }, (t.ports || []).join(', ')),
      h('td', { class: 'state' }, t.state),
      h('td', { class: 'task-health ' + health },
        health || '—',
        (t.healthCheckResults || []).map(r => h('div', { class: 'check' },
          r.alive ? 'passing' : `failing (${r.consecutiveFailures} in a row)`,
          r.lastFailureCause ? h('small', { class: 'failure' }, ` last failure: ${r.lastFailureCause}${r.lastFailure ? ', ' + ago(r.lastFailure) : ''}`) : null))),
      h('td', { class: 'mono', title: t.version }, t.version),
      h('td', null, ago(t.startedAt || t.stagedAt)),
      h('td', null, h('button', { type: 'button', class: 'link', onclick: () => kill(app, t) }, 'Kill')));
  }

  function kill(app, t) {
    act(`Killed ${t.id}`, () => send('DELETE', `${appUrl(app.id)}/tasks/${encodeURIComponent(t.id)}`));
  }

  return { update };
}
