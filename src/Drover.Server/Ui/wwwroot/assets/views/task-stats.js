// SEAM (issue 11 item 1, built in parallel): GET /v2/tasks/{id}/stats. The panel polls it for the selected task and
// draws CPU and memory charts while it answers 200; on any other answer (404 before that endpoint exists, or a task
// without stats) it stays hidden. The field names are looked up loosely, because that endpoint's shape is not fixed
// yet: CPU seconds (Mesos' cpus_user_time_secs + cpus_system_time_secs, or a usage-seconds total) become a rate, and
// memory bytes (rss, or usage) are drawn as they are. Tighten fieldsOf() once the endpoint has landed.
import { h, mount, mib } from '../dom.js';
import { request } from '../api.js';

const POLL_MS = 2000;
const POINTS = 60;

export function fieldsOf(stats) {
  const flat = {};
  (function walk(v, path) {
    if (typeof v === 'number') flat[path.toLowerCase()] = v;
    else if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  })(stats, '');
  const find = re => Object.entries(flat).find(([k]) => re.test(k))?.[1];
  const user = find(/cpus?_user_time_secs$/);
  const system = find(/cpus?_system_time_secs$/);
  const cpuSeconds = user !== undefined ? user + (system || 0) : find(/cpu.*(usage|total).*(sec|seconds)/);
  const memBytes = find(/mem(ory)?.*rss.*bytes|mem(ory)?_?rss$/) ?? find(/mem(ory)?.*(usage|used).*bytes/);
  const memLimit = find(/mem(ory)?.*limit.*bytes/);
  return { cpuSeconds, memBytes, memLimit };
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
