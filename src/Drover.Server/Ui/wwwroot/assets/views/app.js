// One application: actions (scale, restart, edit, destroy), its deployment, last failure, and tabs for its
// instances, versions (diff and rollback) and logs (with the task stats seam).
import { h, mount, link, ago, mib, num, unchanged } from '../dom.js';
import { model, loadApp } from '../state.js';
import { appStatus, healthBar } from '../status.js';
import { send, appUrl } from '../api.js';
import { modal, act, jsonEditor, editableApp } from '../ui.js';
import { navigate } from '../router.js';
import { instancesTab } from './app-instances.js';
import { versionsTab } from './app-versions.js';
import { logsTab } from './app-logs.js';

const TABS = { instances: 'Instances', versions: 'Configuration & Versions', logs: 'Logs' };

export function appView(root, { id }) {
  let tab = 'instances';
  let tabView = null;
  let selectedTask = null;
  const header = h('div');
  const summary = h('div');
  const tabs = h('nav', { class: 'tabs', role: 'tablist' });
  const body = h('section', { class: 'tab-body' });
  mount(root, header, summary, tabs, body);
  loadApp(id).catch(() => {});

  const ctx = {
    id,
    app: () => model.apps.get(id),
    selectTask: taskId => { selectedTask = taskId; switchTo('logs'); },
    selectedTask: () => selectedTask,
  };

  function switchTo(name) {
    tab = name;
    tabView?.dispose?.();
    const make = { instances: instancesTab, versions: versionsTab, logs: logsTab }[name];
    tabView = make(body, ctx);
    update();
  }

  const sameHeader = unchanged();
  const sameTabs = unchanged();
  let loading = false;
  function update() {
    const app = model.apps.get(id);
    if (!app) {
      mount(header, h('h1', null, link('/apps', 'Applications'), ' / ', id));
      mount(summary, h('p', { class: 'muted' }, model.appsLoaded ? `App ${id} does not exist (or was destroyed).` : 'Loading…'));
      return;
    }
    if (!app.tasks && !loading) {
      loading = true;
      loadApp(id).catch(() => {}).finally(() => { loading = false; });
    }
    const deployments = model.deployments.filter(d => (app.deployments || []).some(r => r.id === d.id));
    if (!sameHeader(JSON.stringify([app, deployments]))) renderHeader(app);
    if (!sameTabs(tab)) mount(tabs, Object.entries(TABS).map(([name, label]) =>
      h('button', { type: 'button', role: 'tab', class: name === tab ? 'active' : '', 'aria-selected': String(name === tab), 'data-tab': name,
        onclick: () => switchTo(name) }, label)));
    tabView?.update?.(app);
  }

  function renderHeader(app) {
    const status = appStatus(app);
    mount(header,
      h('div', { class: 'toolbar' },
        h('h1', null, link('/apps', 'Applications'), ' / ', h('span', { class: 'app-id' }, app.id)),
        h('span', { class: 'status ' + status.toLowerCase(), id: 'app-status' }, status),
        h('span', { class: 'spacer' }),
        h('button', { type: 'button', id: 'scale', onclick: () => scale(app) }, 'Scale Application'),
        h('button', { type: 'button', id: 'restart', onclick: () => restart(app) }, 'Restart'),
        h('button', { type: 'button', id: 'edit', onclick: () => edit(app) }, 'Edit'),
        h('button', { type: 'button', id: 'destroy', class: 'danger', onclick: () => destroy(app) }, 'Destroy')));
    const failure = app.lastTaskFailure;
    mount(summary,
      h('dl', { class: 'summary' },
        h('dt', null, 'Instances'), h('dd', { id: 'app-instances' }, `${app.tasksRunning} running of ${app.instances}`,
          app.tasksStaged ? `, ${app.tasksStaged} staged` : '', (app.healthChecks || []).length ? `, ${app.tasksHealthy} healthy` : ''),
        h('dt', null, 'Health'), h('dd', null, healthBar(app)),
        h('dt', null, 'Resources'), h('dd', null, `${num(app.cpus)} CPU, ${mib(app.mem)}`),
        h('dt', null, 'Version'), h('dd', { id: 'app-version' }, app.version),
        Object.keys(app.labels || {}).length ? [h('dt', null, 'Labels'), h('dd', { id: 'app-labels' },
          Object.entries(app.labels).map(([k, v]) => h('span', { class: 'tag' }, `${k}=${v}`)))] : null,
        (app.deployments || []).length ? [h('dt', null, 'Deployment'), h('dd', { id: 'app-deployment' }, deploymentProgress(app))] : null,
        failure ? [h('dt', null, 'Last task failure'), h('dd', { class: 'failure', id: 'last-failure' },
          `${failure.state} on ${failure.host}, ${ago(failure.timestamp)}: ${failure.message}`)] : null));
  }

  switchTo('instances');
  return { update, dispose: () => tabView?.dispose?.() };
}

function deploymentProgress(app) {
  return app.deployments.map(ref => {
    const d = model.deployments.find(x => x.id === ref.id);
    return h('span', null, link('/deployments', ref.id),
      d ? ` step ${d.currentStep} of ${d.totalSteps}: ${(d.currentActions || []).map(a => a.action).join(', ')}` : '');
  });
}

function scale(app) {
  const input = h('input', { type: 'number', min: 0, name: 'instances', value: String(app.instances), 'aria-label': 'Instances' });
  return modal(`Scale ${app.id}`, h('label', null, 'How many instances? ', input), {
    ok: 'Scale Application',
    onOk: async () => {
      const n = Number(input.value);
      if (!Number.isInteger(n) || n < 0) throw new Error('Instances must be a whole number, 0 or more');
      const r = await send('PUT', appUrl(app.id), { instances: n });
      act(`Scaled ${app.id} to ${n}`, async () => r);
    },
  });
}

function restart(app) {
  return modal(`Restart ${app.id}?`, h('p', null, 'Every instance is replaced, following the upgrade strategy.'), {
    ok: 'Restart',
    onOk: async () => { const r = await send('POST', appUrl(app.id) + '/restart'); act(`Restarting ${app.id}`, async () => r); },
  });
}

function edit(app) {
  return jsonEditor(`Edit ${app.id}`, editableApp(app), async def => {
    if (def.id && def.id !== app.id) throw new Error(`The id cannot change here (${app.id}); create a new application instead`);
    const r = await send('PUT', appUrl(app.id) + '?partialUpdate=false', def);
    act(`Updated ${app.id}`, async () => r);
  }, 'Deploy Changes');
}

function destroy(app) {
  return modal(`Destroy ${app.id}?`, h('p', null, 'All its instances are killed and the app is removed.'), {
    ok: 'Destroy', danger: true,
    onOk: async () => { const r = await send('DELETE', appUrl(app.id)); act(`Destroying ${app.id}`, async () => r); navigate('/apps'); },
  });
}
