// Agents: status, used and free resources, attributes, drain / undrain (Drover's /v1/drover/agents/{id}/drain), and
// each host's CPU, memory and load over the past hour (host-charts.js).
import { h, mount, mib, num, ago, bar, unchanged } from '../dom.js';
import { getJson, send } from '../api.js';
import { modal, act } from '../ui.js';
import { onEvent } from '../state.js';
import { hostCharts } from './host-charts.js';

const POLL_MS = 5000;

export function agentsView(root) {
  let agents = null;
  let error = null;
  const list = h('div');
  const charts = hostCharts();
  mount(root, h('div', { class: 'toolbar' }, h('h1', null, 'Agents')), list, charts.element);

  async function load() {
    try {
      agents = (await getJson('/v1/drover/agents')).agents;
      error = null;
    } catch (e) {
      error = e.message;
    }
    update();
    charts.refresh(agents);
  }
  // tasks come and go on agents: re-read (coalesced) on task events, and every few seconds for heartbeats
  let pending = null;
  const off = onEvent(type => {
    if (type === 'status_update_event' && !pending) pending = setTimeout(() => { pending = null; load(); }, 250);
  });
  const timer = setInterval(load, POLL_MS);
  load();

  const same = unchanged();
  function update() {
    if (same(JSON.stringify([agents, error]))) return;
    if (error) { mount(list, h('p', { class: 'error' }, error)); return; }
    if (!agents) { mount(list, h('p', { class: 'muted' }, 'Loading…')); return; }
    if (agents.length === 0) { mount(list, h('p', { class: 'muted empty' }, 'No agents have joined.')); return; }
    mount(list, h('table', { class: 'table', id: 'agents' },
      h('thead', null, h('tr', null, ['Host', 'Status', 'CPU', 'Memory', 'Disk', 'Tasks', 'Attributes', 'Last seen', ''].map(c => h('th', null, c)))),
      h('tbody', null, agents.map(row))));
  }

  function row(v) {
    const a = v.agent;
    const r = a.resources;
    return h('tr', { 'data-agent': a.hostname },
      h('td', null, a.hostname, h('div', { class: 'muted mono' }, a.id)),
      h('td', { class: 'agent-status' }, a.status, v.drain ? h('span', { class: 'badge warn' }, v.drain) : null),
      h('td', null, usage(v.usedCpus, r.cpus, num)),
      h('td', null, usage(v.usedMemMb, r.memMb, mib)),
      h('td', null, usage(v.usedDiskMb, r.diskMb, mib)),
      h('td', { class: 'agent-tasks' }, String(v.tasks)),
      h('td', null, Object.entries(a.attributes || {}).map(([k, x]) => h('span', { class: 'tag' }, `${k}=${x}`))),
      h('td', null, ago(a.lastSeenAt)),
      h('td', null, v.drain
        ? h('button', { type: 'button', class: 'undrain', onclick: () => undrain(a) }, 'Undrain')
        : h('button', { type: 'button', class: 'drain', onclick: () => drain(a) }, 'Drain')));
  }

  function usage(used, total, fmt) {
    return h('div', null, `${fmt(used)} used, ${fmt(Math.max(0, total - used))} free`,
      bar([{ n: used, cls: 'running', title: 'used' }], Math.max(total, used)));
  }

  function drain(a) {
    return modal(`Drain ${a.hostname}?`, h('p', null, 'Its tasks are moved to other agents, following each app\'s upgrade strategy, and nothing new is placed on it.'), {
      ok: 'Drain', danger: true,
      onOk: async () => { await send('POST', `/v1/drover/agents/${encodeURIComponent(a.id)}/drain`); act(`Draining ${a.hostname}`, async () => null); load(); },
    });
  }

  async function undrain(a) {
    await act(`Undrained ${a.hostname}`, () => send('DELETE', `/v1/drover/agents/${encodeURIComponent(a.id)}/drain`));
    load();
  }

  return { update, dispose: () => { clearInterval(timer); clearTimeout(pending); off(); } };
}
