// The launch queue (GET /v2/queue): apps waiting for instances to launch, how many, the backoff delay left, since
// when, and the app's last task failure (why it is backing off); "Reset delay" is Marathon's DELETE
// /v2/queue/{app}/delay. Re-read when tasks change state or deployments move, and every 2 s so the delay counts down.
import { h, mount, link, appPath, ago, unchanged } from '../dom.js';
import { getJson, send, appUrl } from '../api.js';
import { model, onEvent, loadApp } from '../state.js';
import { act } from '../ui.js';

const POLL_MS = 2000;
// The queue names the apps; their last failures come from each app (GET /v2/apps/{id}), for at most this many.
const FAILURE_LOOKUPS = 20;

export function queueView(root) {
  let queue = null;
  let error = null;
  const list = h('div');
  mount(root, h('div', { class: 'toolbar' }, h('h1', null, 'Launch Queue')), list);

  async function load() {
    try {
      queue = (await getJson('/v2/queue')).queue;
      error = null;
      // an app the page only knows from the list has no last failure yet: read it once
      await Promise.allSettled(queue.slice(0, FAILURE_LOOKUPS).map(q => q.app.id).filter(id => !model.apps.get(id)?.tasks).map(id => loadApp(id)));
    } catch (e) {
      error = e.message;
    }
    update();
  }
  let pending = null;
  const off = onEvent(type => {
    if (pending || !(type === 'status_update_event' || type.startsWith('deployment_'))) return;
    pending = setTimeout(() => { pending = null; load(); }, 250);
  });
  const timer = setInterval(load, POLL_MS);
  load();

  const same = unchanged();
  function update() {
    const failures = (queue || []).map(q => model.apps.get(q.app.id)?.lastTaskFailure?.timestamp);
    if (same(JSON.stringify([queue, error, failures]))) return;
    if (error) { mount(list, h('p', { class: 'error' }, error)); return; }
    if (!queue) { mount(list, h('p', { class: 'muted' }, 'Loading…')); return; }
    if (queue.length === 0) { mount(list, h('p', { class: 'muted empty' }, 'No launches waiting.')); return; }
    mount(list, h('table', { class: 'table', id: 'queue' },
      h('thead', null, h('tr', null, ['Application', 'Waiting', 'Delay', 'Since', 'Last failure', ''].map(c => h('th', null, c)))),
      h('tbody', null, queue.map(row))));
  }

  function row(q) {
    const id = q.app.id;
    const failure = model.apps.get(id)?.lastTaskFailure;
    return h('tr', { 'data-queue-app': id },
      h('td', null, link(appPath(id), id)),
      h('td', { class: 'queue-count' }, String(q.count)),
      h('td', { class: 'queue-delay' }, q.delay.overdue ? 'launching' : `${Math.ceil(q.delay.timeLeftSeconds)}s left`),
      h('td', null, q.since ? ago(q.since) : ''),
      h('td', { class: 'queue-failure', 'data-task': failure?.taskId }, failure
        ? [failure.state, ': ', failure.message || '(no message)', h('small', { class: 'muted' }, ` ${ago(failure.timestamp)} on ${failure.host}`)]
        : h('span', { class: 'muted' }, 'none')),
      h('td', null, h('button', { type: 'button', class: 'reset-delay', disabled: q.delay.overdue, onclick: () => reset(id) }, 'Reset delay')));
  }

  async function reset(id) {
    await act(`Reset the launch delay of ${id}`, () => send('DELETE', `/v2/queue${appUrl(id).slice('/v2/apps'.length)}/delay`));
    load();
  }

  return { update, dispose: () => { clearInterval(timer); clearTimeout(pending); off(); } };
}
