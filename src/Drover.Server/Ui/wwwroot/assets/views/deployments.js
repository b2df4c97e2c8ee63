// Deployments in progress: affected apps, steps with the current one marked, progress; revert (DELETE, which starts
// a deployment back to the original) or stop (DELETE ?force=true), as in Marathon's UI.
import { h, mount, link, appPath, ago, unchanged } from '../dom.js';
import { model, loadDeployments } from '../state.js';
import { send } from '../api.js';
import { modal, act } from '../ui.js';

export function deploymentsView(root) {
  const list = h('div');
  mount(root, h('div', { class: 'toolbar' }, h('h1', null, 'Deployments')), list);
  loadDeployments().catch(() => {});

  const same = unchanged();
  function update() {
    const ds = model.deployments;
    if (same(JSON.stringify(ds))) return;
    if (ds.length === 0) { mount(list, h('p', { class: 'muted empty' }, 'No deployments in progress.')); return; }
    mount(list, h('table', { class: 'table', id: 'deployments' },
      h('thead', null, h('tr', null, ['ID', 'Affected Applications', 'Steps', 'Progress', 'Started', ''].map(c => h('th', null, c)))),
      h('tbody', null, ds.map(row))));
  }

  function row(d) {
    const done = Math.max(0, d.currentStep - 1);
    return h('tr', { 'data-deployment': d.id },
      h('td', { class: 'mono' }, d.id),
      h('td', null, d.affectedApps.map(id => h('div', null, link(appPath(id), id)))),
      h('td', null, h('ol', { class: 'steps' }, d.steps.map((s, i) =>
        h('li', { class: i + 1 < d.currentStep ? 'done' : i + 1 === d.currentStep ? 'current' : '' },
          s.actions.map(a => `${a.action} ${a.app}`).join(', '))))),
      h('td', null, h('div', { class: 'bar' }, h('span', { class: 'seg staged', style: { width: `${(100 * done) / Math.max(1, d.totalSteps)}%` } })),
        h('small', null, `step ${d.currentStep} of ${d.totalSteps}`)),
      h('td', null, ago(d.version)),
      h('td', null,
        h('button', { type: 'button', class: 'revert', onclick: () => revert(d) }, 'Revert'),
        h('button', { type: 'button', class: 'link', onclick: () => stop(d) }, 'Stop')));
  }

  function revert(d) {
    return modal(`Revert deployment ${d.id}?`, h('p', null, 'A new deployment takes the affected apps back to their previous configuration.'), {
      ok: 'Revert', danger: true,
      onOk: async () => { const r = await send('DELETE', `/v2/deployments/${encodeURIComponent(d.id)}`); act(`Reverting ${d.id}`, async () => r); },
    });
  }

  function stop(d) {
    return modal(`Stop deployment ${d.id}?`, h('p', null, 'The deployment stops where it is; nothing is rolled back.'), {
      ok: 'Stop', danger: true,
      onOk: async () => { await send('DELETE', `/v2/deployments/${encodeURIComponent(d.id)}?force=true`); act(`Stopped ${d.id}`, async () => null); },
    });
  }

  return { update };
}
