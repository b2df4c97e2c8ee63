// Applications: every app with its status, instances, health bar and version. The list is virtual: only the rows in
// view (plus a few) exist in the DOM, so 1,000 apps render as fast as 30.
import { h, mount, link, appPath, ago, mib, num } from '../dom.js';
import { model, changed } from '../state.js';
import { appStatus, healthBar } from '../status.js';
import { jsonEditor, act } from '../ui.js';
import { send } from '../api.js';
import { navigate } from '../router.js';

export const FIRST_ROWS = 'drover:first-rows';
const ROW_HEIGHT = 40;
const OVERSCAN = 8;
const COLUMNS = ['ID', 'Status', 'Running Instances', 'Health', 'CPU', 'Memory', 'Version'];

const NEW_APP = { id: '/my-app', cmd: 'python3 -m http.server $PORT0', cpus: 0.1, mem: 64, instances: 1,
  healthChecks: [{ protocol: 'HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 30, intervalSeconds: 5 }] };

export function createApp() {
  return jsonEditor('Create Application', NEW_APP, async app => {
    const result = await send('POST', '/v2/apps', app);
    act(`Created ${app.id}`, async () => result);
    navigate(appPath(app.id));
  }, 'Create Application');
}

export function appsView(root) {
  let filter = '';
  const viewport = h('div', { class: 'vlist', role: 'table', 'aria-label': 'Applications' });
  const spacer = h('div', { class: 'vlist-inner' });
  const rows = h('div', { class: 'vlist-rows', role: 'rowgroup' });
  spacer.appendChild(rows);
  viewport.appendChild(spacer);
  const count = h('span', { class: 'muted', id: 'app-count' });
  const search = h('input', { type: 'search', placeholder: 'Filter by name', 'aria-label': 'Filter applications',
    oninput: () => { filter = search.value.toLowerCase(); viewport.scrollTop = 0; changed(); } });
  mount(root,
    h('div', { class: 'toolbar' }, h('h1', null, 'Applications'), count, search,
      h('button', { type: 'button', class: 'primary', id: 'create-app', onclick: createApp }, 'Create Application')),
    h('div', { class: 'grid-row head', role: 'row' }, COLUMNS.map(c => h('span', { role: 'columnheader' }, c))),
    viewport);
  viewport.addEventListener('scroll', changed, { passive: true });
  const cache = new Map(); // id -> {app, el}: a row is rebuilt only when its app changed
  let shown = [];

  function update() {
    if (!model.appsLoaded) { shown = []; mount(rows, h('p', { class: 'muted' }, 'Loading…')); return; }
    const ids = filter ? model.sortedIds.filter(id => id.toLowerCase().includes(filter)) : model.sortedIds;
    mount(count, `${ids.length} of ${model.apps.size}`);
    spacer.style.height = `${ids.length * ROW_HEIGHT}px`;
    if (ids.length === 0) { shown = []; mount(rows, h('p', { class: 'muted empty' }, model.apps.size ? 'No application matches.' : 'No applications yet.')); return; }
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(ids.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    rows.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    const els = ids.slice(first, last).map(id => {
      const app = model.apps.get(id);
      let c = cache.get(id);
      if (!c || c.app !== app) cache.set(id, c = { app, el: row(app) });
      return c.el;
    });
    if (cache.size > 4 * els.length + 200) for (const id of cache.keys()) if (!model.apps.has(id)) cache.delete(id);
    if (els.length !== shown.length || els.some((el, i) => el !== shown[i])) mount(rows, els);
    shown = els;
    // bench/ui reads this: time from navigation to the first rows on screen
    if (performance.getEntriesByName(FIRST_ROWS).length === 0) performance.mark(FIRST_ROWS);
  }
  return { update };
}

function row(app) {
  const status = appStatus(app);
  return h('div', { class: 'grid-row', role: 'row', 'data-app': app.id },
    h('span', { class: 'id' }, link(appPath(app.id), app.id)),
    h('span', { class: 'status ' + status.toLowerCase() }, status),
    h('span', { class: 'instances' }, `${app.tasksRunning} of ${app.instances}`,
      app.tasksStaged ? h('small', null, ` (${app.tasksStaged} staged)`) : null),
    h('span', { class: 'health' }, healthBar(app)),
    h('span', null, num(app.cpus)),
    h('span', null, mib(app.mem)),
    h('span', { class: 'version', title: app.version }, ago(app.versionInfo?.lastConfigChangeAt || app.version)));
}
