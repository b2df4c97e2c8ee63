// Services: the catalog (Consul's /v1/catalog/services) with each service's DNS names and instance health (one
// /v1/health/state/any call for all of them); a service's instances on demand (/v1/health/service/{name}).
import { h, mount, unchanged } from '../dom.js';
import { getJson } from '../api.js';

const POLL_MS = 5000;

export function servicesView(root) {
  let services = null;
  let checks = [];
  let domain = 'drover';
  let open = null;
  let instances = null;
  let error = null;
  const list = h('div');
  mount(root, h('div', { class: 'toolbar' }, h('h1', null, 'Services')), list);

  async function load() {
    try {
      [services, checks] = await Promise.all([getJson('/v1/catalog/services'), getJson('/v1/health/state/any')]);
      error = null;
      if (open) instances = await getJson(`/v1/health/service/${encodeURIComponent(open)}`);
    } catch (e) {
      error = e.message;
    }
    update();
  }
  getJson('/v1/config').then(c => { domain = (c.Domain || c.domain || domain).replace(/\.$/, ''); update(); }).catch(() => {});
  const timer = setInterval(load, POLL_MS);
  load();

  function counts(name) {
    const c = { passing: 0, warning: 0, critical: 0 };
    for (const x of checks) if (x.ServiceName === name && c[x.Status] !== undefined) c[x.Status]++;
    return c;
  }

  const same = unchanged();
  function update() {
    if (same(JSON.stringify([services, checks, domain, open, instances, error]))) return;
    if (error) { mount(list, h('p', { class: 'error' }, error)); return; }
    if (!services) { mount(list, h('p', { class: 'muted' }, 'Loading…')); return; }
    const names = Object.keys(services).sort();
    if (names.length === 0) { mount(list, h('p', { class: 'muted empty' }, 'No services.')); return; }
    mount(list, h('table', { class: 'table', id: 'services' },
      h('thead', null, h('tr', null, ['Service', 'DNS names', 'Tags', 'Checks', ''].map(c => h('th', null, c)))),
      h('tbody', null, names.flatMap(name => {
        const c = counts(name);
        const rows = [h('tr', { 'data-service': name },
          h('td', null, name),
          h('td', { class: 'mono' }, h('div', null, `${name}.service.${domain}`), h('div', null, `_${name}._tcp.service.${domain} SRV`)),
          h('td', null, (services[name] || []).map(t => h('span', { class: 'tag' }, t))),
          h('td', null, h('span', { class: 'ok' }, `${c.passing} passing`), c.warning ? h('span', { class: 'warn' }, ` ${c.warning} warning`) : null,
            c.critical ? h('span', { class: 'error' }, ` ${c.critical} critical`) : null),
          h('td', null, h('button', { type: 'button', class: 'link', onclick: () => toggle(name) }, open === name ? 'Hide' : 'Instances')))];
        if (open === name) rows.push(h('tr', { class: 'detail' }, h('td', { colspan: 5 }, instanceTable())));
        return rows;
      }))));
  }

  function instanceTable() {
    if (!instances) return h('p', { class: 'muted' }, 'Loading…');
    return h('table', { class: 'table inner' },
      h('thead', null, h('tr', null, ['Instance', 'Address', 'Node', 'Checks'].map(c => h('th', null, c)))),
      h('tbody', null, instances.map(e => h('tr', null,
        h('td', { class: 'mono' }, e.Service.ID),
        h('td', { class: 'mono' }, `${e.Service.Address || e.Node.Address}:${e.Service.Port}`),
        h('td', null, e.Node.Node),
        h('td', null, (e.Checks || []).map(c => h('div', { class: c.Status }, `${c.Name}: ${c.Status}`, c.Output ? h('small', null, ` ${c.Output}`) : null)))))));
  }

  function toggle(name) {
    open = open === name ? null : name;
    instances = null;
    update();
    if (open) load();
  }

  return { update, dispose: () => clearInterval(timer) };
}
