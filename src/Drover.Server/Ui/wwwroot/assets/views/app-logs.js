// A task's log tail (GET /v2/tasks/{id}/logs?tail=N, streamed on with follow=true) and its resource charts.
import { h, mount } from '../dom.js';
import { request } from '../api.js';
import { statsPanel } from './task-stats.js';

const TAIL_LINES = 200;
const MAX_LINES = 2000; // what the page keeps while following; older lines scroll away

export function logsTab(root, ctx) {
  let taskId = ctx.selectedTask();
  let stream = 'stdout';
  let follow = false;
  let controller = null;
  let lines = [];
  let error = null;
  const pre = h('pre', { class: 'log', id: 'log' });
  const taskSelect = h('select', { 'aria-label': 'Task', id: 'log-task', onchange: () => { taskId = taskSelect.value; restart(); } });
  const streamSelect = h('select', { 'aria-label': 'Stream', id: 'log-stream', onchange: () => { stream = streamSelect.value; restart(); } },
    h('option', { value: 'stdout' }, 'stdout'), h('option', { value: 'stderr' }, 'stderr'));
  const followBox = h('input', { type: 'checkbox', id: 'log-follow', onchange: () => { follow = followBox.checked; restart(); } });
  const status = h('span', { class: 'muted' });
  const stats = statsPanel();
  mount(root,
    h('div', { class: 'toolbar' }, h('label', null, 'Task ', taskSelect), h('label', null, 'Stream ', streamSelect),
      h('label', null, followBox, ' Follow'), status),
    stats.element, pre);

  function render() {
    mount(status, error ? error : taskId ? `${lines.length} lines` : '');
    status.className = error ? 'error' : 'muted';
    pre.textContent = lines.join('\n');
    if (follow) pre.scrollTop = pre.scrollHeight;
  }

  async function restart() {
    controller?.abort();
    lines = [];
    error = null;
    stats.show(taskId);
    if (!taskId) { render(); return; }
    controller = new AbortController();
    const signal = controller.signal;
    const url = `/v2/tasks/${encodeURIComponent(taskId)}/logs?stream=${stream}&tail=${TAIL_LINES}${follow ? '&follow=true' : ''}`;
    try {
      const resp = await request('GET', url, undefined, { signal, accept: 'text/plain' });
      const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
      let partial = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parts = (partial + value).split('\n');
        partial = parts.pop();
        lines.push(...parts);
        if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
        render();
      }
      if (partial) lines.push(partial);
    } catch (e) {
      if (signal.aborted) return;
      error = e.message;
    }
    render();
  }

  function update(app) {
    const tasks = app.tasks || [];
    if (!taskId && tasks.length) { taskId = tasks[0].id; restart(); }
    const ids = tasks.map(t => t.id);
    if (taskId && !ids.includes(taskId)) ids.unshift(taskId); // an ended task's log is still there
    const current = [...taskSelect.options].map(o => o.value).join('\n');
    if (current !== ids.join('\n')) mount(taskSelect, ids.map(id => h('option', { value: id }, id)));
    if (taskId) taskSelect.value = taskId;
  }

  if (taskId) restart();
  return { update, dispose: () => { controller?.abort(); stats.dispose(); } };
}
