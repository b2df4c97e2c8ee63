// Groups: Marathon's group tree (GET /v2/groups), apps nested under their groups with their instances, and scaling a
// whole group (PUT /v2/groups/{id} {"scaleBy": n}, one deployment, as Marathon's UI does). The tree is re-read when a
// deployment or group change says it may have changed; each app's figures come from the live app list.
import { h, mount, link, appPath, unchanged } from '../dom.js';
import { getJson, send } from '../api.js';
import { model, onEvent } from '../state.js';
import { modal, act } from '../ui.js';

const groupPath = id => '/groups' + id.split('/').map(encodeURIComponent).join('/');
const groupUrl = id => '/v2/groups' + id.split('/').map(encodeURIComponent).join('/');

export function groupsView(root, route) {
  const id = route.id || '/';
  let tree = null;
  let error = null;
  const body = h('div');
  mount(root, h('div', { class: 'toolbar' }, h('h1', null, id === '/' ? 'Groups' : `Group ${id}`),
    id === '/' ? null : link('/groups', 'All groups')), body);

  async function load() {
    try {
      tree = await getJson(groupUrl(id === '/' ? '' : id));
      error = null;
    } catch (e) {
      error = e.message;
    }
    update();
  }
  let pending = null;
  const off = onEvent(type => {
    if (pending || !(type.startsWith('deployment_') || type === 'group_change_success' || type === 'api_post_event')) return;
    pending = setTimeout(() => { pending = null; load(); }, 250);
  });
  load();

  const same = unchanged();
  function update() {
    // the app figures shown: what changed in them re-renders, nothing else does
    const figures = tree ? appsUnder(tree).map(a => figuresOf(a).join()) : [];
    if (same(JSON.stringify([tree?.version, figures, error]))) return;
    if (error) { mount(body, h('p', { class: 'error' }, error)); return; }
    if (!tree) { mount(body, h('p', { class: 'muted' }, 'Loading…')); return; }
    if (!tree.apps.length && !tree.groups.length) { mount(body, h('p', { class: 'muted empty' }, 'No groups or applications yet.')); return; }
    mount(body, h('ul', { class: 'group-tree', id: 'groups' }, node(tree)));
  }

  function node(g) {
    const apps = appsUnder(g);
    const running = apps.reduce((n, a) => n + figuresOf(a)[0], 0);
    const wanted = apps.reduce((n, a) => n + figuresOf(a)[1], 0);
    return h('li', { 'data-group': g.id },
      h('div', { class: 'group-row' },
        h('span', { class: 'group-id' }, g.id === '/' ? '/ (root)' : link(groupPath(g.id), g.id)),
        h('span', { class: 'muted group-count' }, `${apps.length} app${apps.length === 1 ? '' : 's'}`),
        h('span', { class: 'group-instances' }, `${running} of ${wanted} running`),
        g.id === '/' ? null : h('button', { type: 'button', class: 'scale-group', onclick: () => scale(g, wanted) }, 'Scale')),
      h('ul', null,
        g.apps.map(a => h('li', { 'data-group-app': a.id }, link(appPath(a.id), a.id), ' ',
          h('span', { class: 'instances' }, `${figuresOf(a)[0]} of ${figuresOf(a)[1]}`))),
        g.groups.map(node)));
  }

  function scale(g, wanted) {
    const input = h('input', { type: 'number', name: 'factor', step: 'any', value: '2', 'aria-label': 'Scale by' });
    return modal(`Scale ${g.id}`, h('div', null,
      h('p', null, `Every app in ${g.id} and its subgroups (${wanted} instances now) is scaled by this factor, in one deployment.`),
      h('label', null, 'Scale by ', input)), {
      ok: 'Scale Group',
      onOk: async () => {
        const factor = Number(input.value);
        if (!(input.value !== '' && factor >= 0)) throw new Error('The factor must be a number ≥ 0');
        const result = await send('PUT', groupUrl(g.id), { scaleBy: factor });
        act(`Scaling ${g.id} by ${factor}`, async () => result);
        load();
      },
    });
  }

  return { update, dispose: () => { clearTimeout(pending); off(); } };
}

function appsUnder(g) { return g.apps.concat(...g.groups.map(appsUnder)); }

/** [running, instances] of an app, from the live app list when it has the app (the tree may be a moment older). */
function figuresOf(a) {
  const live = model.apps.get(a.id) || a;
  return [live.tasksRunning ?? 0, live.instances ?? 0];
}
