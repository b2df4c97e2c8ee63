// The event feed: the latest events of Marathon's stream as they arrive, filterable by type.
import { h, mount, link, appPath } from '../dom.js';
import { model, appsOf } from '../state.js';

export function eventsView(root) {
  let type = '';
  const select = h('select', { 'aria-label': 'Event type', onchange: () => { type = select.value; update(); } });
  const list = h('ol', { class: 'events', id: 'events', reversed: true });
  mount(root, h('div', { class: 'toolbar' }, h('h1', null, 'Events'), h('label', null, 'Type ', select)), list);
  let knownTypes = '';

  function update() {
    const types = [...new Set(model.events.map(e => e.type))].sort();
    if (types.join() !== knownTypes) {
      knownTypes = types.join();
      mount(select, h('option', { value: '' }, 'all'), types.map(t => h('option', { value: t }, t)));
      select.value = type;
    }
    const shown = model.events.filter(e => !type || e.type === type).slice(-200).reverse();
    if (shown.length === 0) { mount(list, h('li', { class: 'muted' }, 'Waiting for events…')); return; }
    mount(list, shown.map(e => h('li', { 'data-type': e.type },
      h('time', null, new Date(e.at).toLocaleTimeString()), ' ', h('strong', null, e.type), ' ',
      appsOf(e.type, e.data).map(id => link(appPath(id), id)), ' ',
      h('span', { class: 'muted' }, summary(e)))));
  }

  return { update };
}

function summary(e) {
  const d = e.data;
  if (d.taskStatus) return `${d.taskId} ${d.taskStatus}${d.message ? ': ' + d.message : ''}`;
  if (e.type === 'health_status_changed_event') return `${d.instanceId} ${d.alive ? 'healthy' : 'unhealthy'}`;
  if (d.reason) return d.reason;
  if (d.id) return d.id;
  if (d.plan?.id) return d.plan.id;
  return '';
}
