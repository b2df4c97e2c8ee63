// The selected task's CPU and memory charts, from GET /v2/tasks/{id}/stats polled every 2 s while it answers 200;
// hidden on any other answer (a task without stats, an agent that does not answer). CPU seconds become a rate.
import { h, mount, mib } from '../dom.js';
import { request } from '../api.js';

const POLL_MS = 2000;
const POINTS = 60;

// GET /v2/tasks/{id}/stats (README, "Task and host stats"): cpu.usageSeconds, memory.rssBytes (usageBytes when a
// source has no rss) and memory.limitBytes; a figure a source lacks is absent.
export function fieldsOf(stats) {
  const cpu = stats?.cpu ?? {};
  const memory = stats?.memory ?? {};
  return { cpuSeconds: cpu.usageSeconds, memBytes: memory.rssBytes ?? memory.usageBytes, memLimit: memory.limitBytes };
}

export function statsPanel() {
  const element = h('div', { class: 'stats', id: 'task-stats', hidden: true });
  let timer = null;
  let taskId = null;
  let cpu = [];
  let mem = [];
  let last = null;

  async function poll() {
    const id = taskId;
    try {
      const resp = await request('GET', `/v2/tasks/${encodeURIComponent(id)}/stats`);
      const f = fieldsOf(await resp.json());
      if (id !== taskId) return;
      const now = performance.now();
      if (f.cpuSeconds !== undefined && last) cpu.push(Math.max(0, (f.cpuSeconds - last.cpu) / ((now - last.at) / 1000)));
      if (f.cpuSeconds !== undefined) last = { cpu: f.cpuSeconds, at: now };
      if (f.memBytes !== undefined) mem.push(f.memBytes / 1048576);
      cpu = cpu.slice(-POINTS);
      mem = mem.slice(-POINTS);
      element.hidden = f.cpuSeconds === undefined && f.memBytes === undefined;
      mount(element,
        chart('CPU', cpu, v => `${v.toFixed(2)} cores`),
        chart('Memory', mem, v => mib(v) + (f.memLimit ? ` of ${mib(f.memLimit / 1048576)}` : '')));
    } catch {
      element.hidden = true; // no stats for this task (or no stats endpoint on this server)
    }
    if (id === taskId) timer = setTimeout(poll, POLL_MS);
  }

  return {
    element,
    show(id) {
      clearTimeout(timer);
      taskId = id;
      cpu = [];
      mem = [];
      last = null;
      element.hidden = true;
      if (id) poll();
    },
    dispose() { clearTimeout(timer); taskId = null; },
  };
}

const SVG = 'http://www.w3.org/2000/svg';
function chart(title, values, format) {
  const w = 240;
  const hgt = 48;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('class', 'spark');
  if (values.length > 1) {
    const max = Math.max(...values, 1e-9);
    const points = values.map((v, i) => `${(i * w) / (POINTS - 1)},${hgt - (v / max) * (hgt - 2) - 1}`).join(' ');
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', points);
    svg.appendChild(line);
  }
  return h('figure', null, h('figcaption', null, title, ': ', values.length ? format(values[values.length - 1]) : '…'), svg);
}
