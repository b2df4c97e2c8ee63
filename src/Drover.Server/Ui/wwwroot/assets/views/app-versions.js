// Stored versions of an app: pick one to see what would change (a line diff against the running config) and roll
// back to it (PUT {"version": v}, as Marathon's UI does).
import { h, mount, unchanged } from '../dom.js';
import { getJson, send, appUrl } from '../api.js';
import { act, editableApp } from '../ui.js';
import { lineDiff, canonicalJson } from '../diff.js';

export function versionsTab(root, ctx) {
  let versions = null;
  let selected = null;
  let selectedDef = null;
  let error = null;
  let loadedFor = null;
  const same = unchanged();

  async function load(app) {
    loadedFor = app.version;
    try {
      versions = (await getJson(appUrl(ctx.id) + '/versions')).versions;
      error = null;
    } catch (e) {
      error = e.message;
    }
    update(ctx.app());
  }

  async function pick(version) {
    selected = version;
    selectedDef = null;
    update(ctx.app());
    try {
      selectedDef = await getJson(`${appUrl(ctx.id)}/versions/${encodeURIComponent(version)}`);
    } catch (e) {
      error = e.message;
    }
    update(ctx.app());
  }

  function update(app) {
    if (!app) return;
    if (loadedFor !== app.version) { load(app); }
    const current = canonicalJson(editableApp(app));
    if (same(JSON.stringify([current, app.version, versions, selected, selectedDef, error]))) return;
    mount(root,
      error ? h('p', { class: 'error' }, error) : null,
      h('div', { class: 'split' },
        h('ul', { class: 'versions', id: 'versions' }, versions === null ? h('li', { class: 'muted' }, 'Loading…')
          : versions.map(v => h('li', { 'data-version': v, class: v === selected ? 'active' : '' },
            h('button', { type: 'button', class: 'link', onclick: () => pick(v) }, v),
            v === app.version ? h('span', { class: 'badge' }, 'current') : null))),
        h('div', { class: 'diff-pane' },
          selected === null ? [h('h3', null, 'Current configuration'), h('pre', { class: 'json', id: 'current-config' }, current)]
            : selectedDef === null ? h('p', { class: 'muted' }, 'Loading…')
              : diffView(app, current, selected, selectedDef))));
  }

  function diffView(app, current, version, def) {
    const target = canonicalJson(editableApp(def));
    const lines = lineDiff(current, target);
    const same = lines.every(l => l.op === ' ');
    return [
      h('div', { class: 'toolbar' }, h('h3', null, `Changes from the current version to ${version}`),
        h('button', { type: 'button', class: 'primary', id: 'rollback', disabled: version === app.version,
          onclick: () => act(`Rolling ${app.id} back to ${version}`, () => send('PUT', appUrl(app.id), { version })) },
        'Apply this version')),
      same ? h('p', { class: 'muted' }, 'Same configuration as the current one.') : null,
      h('pre', { class: 'diff', id: 'version-diff' }, lines.map(l => h('div', { class: 'diff-' + ({ '+': 'add', '-': 'del', ' ': 'same' }[l.op]) }, l.op + ' ' + l.line))),
    ];
  }

  return { update };
}
