// The selected task's CPU and memory charts, from the task's stats history on its agent (every --stats-interval for
// --stats-history, 10 s for 1 h by default), so they start with the past hour; polled every 2 s for what is newer.
// Hidden on any other answer (a task without figures, an agent that does not answer).
import { h, mount, mib } from '../dom.js';
import { history, chart, series } from '../charts.js';

const POLL_MS = 2000;

// GET /v1/drover/tasks/{id}/stats/history (README, "Task and host stats"): samples of cpuRate (CPUs busy since the
// previous sample), memoryRssBytes (memoryBytes when a source has no rss) and memoryLimitBytes.
export function fieldsOf(sample) {
  return { cpuRate: sample?.cpuRate, memBytes: sample?.memoryRssBytes ?? sample?.memoryBytes, memLimit: sample?.memoryLimitBytes };
}

export function statsPanel() {
  const element = h('div', { class: 'stats', id: 'task-stats', hidden: true });
  let timer = null;
  let taskId = null;
  let kept = null;

  async function poll() {
    const id = taskId;
    try {
      const samples = await kept.load();
      if (id !== taskId) return;
      element.hidden = samples.length === 0;
      const limit = fieldsOf(samples[samples.length - 1]).memLimit;
      mount(element,
        chart('CPU', series(samples, s => fieldsOf(s).cpuRate), v => `${v.toFixed(2)} cores`, 'task-cpu'),
        chart('Memory', series(samples, s => fieldsOf(s).memBytes / 1048576), v => mib(v) + (limit ? ` of ${mib(limit / 1048576)}` : ''), 'task-mem'));
    } catch {
      if (id === taskId) element.hidden = true; // no figures for this task (or no history on this server)
    }
    if (id === taskId) timer = setTimeout(poll, POLL_MS);
  }

  return {
    element,
    show(id) {
      clearTimeout(timer);
      taskId = id;
      kept = id ? history(`/v1/drover/tasks/${encodeURIComponent(id)}/stats/history`) : null;
      element.hidden = true;
      if (id) poll();
    },
    dispose() { clearTimeout(timer); taskId = null; },
  };
}
