// The KV store (Consul's /v1/kv): browse by folder (keys split at '/'), read, write and delete values.
import { h, mount, link } from '../dom.js';
import { getJson, request, send } from '../api.js';
import { modal, act } from '../ui.js';
import { navigate } from '../router.js';

const kvUrl = key => '/v1/kv/' + key.split('/').map(encodeURIComponent).join('/');
const kvPath = key => '/kv/' + key.split('/').map(encodeURIComponent).join('/');

function decode(b64) {
  if (b64 === null || b64 === undefined) return '';
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function kvView(root, { key }) {
  const folder = key === '' || key.endsWith('/') ? key : null;
  const body = h('div');
  mount(root, h('div', { class: 'toolbar' }, h('h1', null, link('/kv', 'Key/Value'), ' / ', key),
    h('button', { type: 'button', class: 'primary', id: 'kv-new', onclick: () => edit(folder ?? key, '') }, folder !== null ? 'New key' : 'Edit')), body);

  async function load() {
    try {
      if (folder !== null) {
        const keys = await getJson(`${kvUrl(folder)}?keys&separator=/`).catch(e => { if (e.status === 404) return []; throw e; });
        mount(body, keys.length === 0 ? h('p', { class: 'muted empty' }, 'No keys here.')
          : h('ul', { class: 'kv', id: 'kv-keys' }, keys.map(k => h('li', null, link(kvPath(k), k.slice(folder.length) || k)))));
      } else {
        const [entry] = await getJson(kvUrl(key));
        const value = decode(entry.Value);
        mount(body, h('pre', { class: 'json', id: 'kv-value' }, value),
          h('p', { class: 'muted' }, `ModifyIndex ${entry.ModifyIndex}, flags ${entry.Flags}`),
          h('button', { type: 'button', class: 'danger', onclick: () => remove(key) }, 'Delete'));
      }
    } catch (e) {
      mount(body, h('p', { class: 'error' }, e.status === 404 ? `Key ${key} does not exist.` : e.message));
    }
  }

  function edit(prefix, value) {
    const name = h('input', { name: 'key', 'aria-label': 'Key', value: folder !== null ? prefix : key, readonly: folder === null });
    const area = h('textarea', { name: 'value', rows: 10, 'aria-label': 'Value' });
    area.value = value;
    if (folder === null) getJson(kvUrl(key)).then(([e]) => { area.value = decode(e.Value); }).catch(() => {});
    return modal('Put key', h('div', null, h('label', null, 'Key ', name), area), {
      ok: 'Save',
      onOk: async () => {
        const k = name.value.replace(/^\/+/, '');
        if (!k || k.endsWith('/')) throw new Error('A key needs a name that does not end with /');
        await request('PUT', kvUrl(k), area.value);
        act(`Saved ${k}`, async () => null);
        navigate(kvPath(k));
      },
    });
  }

  function remove(k) {
    return modal(`Delete ${k}?`, h('p', null, 'The key and its value are removed.'), {
      ok: 'Delete', danger: true,
      onOk: async () => { await send('DELETE', kvUrl(k)); act(`Deleted ${k}`, async () => null); navigate(kvPath(k.slice(0, k.lastIndexOf('/') + 1))); },
    });
  }

  load();
  return {};
}
