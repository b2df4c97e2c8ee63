// Per-host CPU, memory and load charts on the Agents page, from each agent's stats history
// (GET /v1/drover/agents/{id}/stats/history): the past hour at once, then what is newer on every refresh.
import { h, mount, mib } from '../dom.js';
import { history, chart, series } from '../charts.js';

export function hostCharts() {
  const element = h('div', { id: 'host-charts', class: 'host-charts' });
  const kept = new Map(); // agent id → history

  async function refresh(agents) {
    const live = (agents || []).map(v => v.agent).filter(a => a.status !== 'unreachable');
    for (const id of [...kept.keys()]) if (!live.some(a => a.id === id)) kept.delete(id);
    const rows = await Promise.all(live.map(async a => {
      if (!kept.has(a.id)) kept.set(a.id, history(`/v1/drover/agents/${encodeURIComponent(a.id)}/stats/history`));
      try {
        return row(a, await kept.get(a.id).load());
      } catch (e) {
        return h('div', { class: 'host', 'data-host': a.hostname }, h('h3', null, a.hostname), h('p', { class: 'muted' }, `no figures: ${e.message}`));
      }
    }));
    mount(element, rows.length ? [h('h2', null, 'Hosts'), rows] : null);
  }

  function row(a, samples) {
    const last = samples[samples.length - 1] || {};
    return h('div', { class: 'host', 'data-host': a.hostname },
      h('h3', null, a.hostname),
      h('div', { class: 'stats' },
        chart('CPU', series(samples, s => s.cpuRate), v => `${v.toFixed(2)} of ${last.cores ?? '?'} cores`, 'host-cpu', last.cores),
        chart('Memory', series(samples, s => s.memoryUsedBytes / 1048576),
          v => mib(v) + (last.memoryTotalBytes ? ` of ${mib(last.memoryTotalBytes / 1048576)}` : ''), 'host-mem', last.memoryTotalBytes / 1048576),
        chart('Load', series(samples, s => s.load1), v => v.toFixed(2) + (last.load5 !== undefined ? ` (5m ${last.load5.toFixed(2)})` : ''), 'host-load', last.cores)));
  }

  return { element, refresh };
}
