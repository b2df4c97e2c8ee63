// The dashboard's entry point: the view for the current path, the event stream that keeps it live, the token prompt.
import { h, mount } from './dom.js';
import { setToken, onTokenNeeded, streamEvents } from './api.js';
import { model, subscribe, handleEvent, resync, changed } from './state.js';
import { modal } from './ui.js';
import { currentPath, parse, onRoute } from './router.js';
import { appsView } from './views/apps.js';
import { appView } from './views/app.js';
import { deploymentsView } from './views/deployments.js';
import { agentsView } from './views/agents.js';
import { servicesView } from './views/services.js';
import { kvView } from './views/kv.js';
import { eventsView } from './views/events.js';
import { groupsView } from './views/groups.js';
import { queueView } from './views/queue.js';

const VIEWS = { apps: appsView, app: appView, deployments: deploymentsView, agents: agentsView, services: servicesView, kv: kvView, events: eventsView, groups: groupsView, queue: queueView };
const main = document.getElementById('main');
let view = null;

function route() {
  view?.dispose?.();
  const r = parse(currentPath());
  const make = VIEWS[r.view];
  const section = r.view === 'app' ? 'apps' : r.view;
  for (const a of document.querySelectorAll('nav a[data-section]')) a.classList.toggle('active', a.dataset.section === section);
  if (!make) { view = null; mount(main, h('p', { class: 'error' }, `No such page: ${currentPath()}`)); return; }
  view = make(main, r) || {};
  view.update?.();
}

subscribe(() => {
  view?.update?.();
  const n = model.deployments.length;
  const badge = document.getElementById('deployment-count');
  badge.hidden = n === 0;
  mount(badge, String(n));
  const stream = document.getElementById('stream-state');
  mount(stream, model.streamUp ? 'live' : 'reconnecting…');
  stream.className = 'stream ' + (model.streamUp ? 'up' : 'down');
});

// One prompt at a time, however many requests were refused together.
let prompt = null;
function askToken(error) {
  if (prompt) return prompt;
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', 'aria-label': 'API token' });
  prompt = modal('API token', h('div', null,
    h('p', null, error ? `The server refused: ${error.message}` : 'This server needs its API token (drover server --api-token).'),
    h('label', null, 'Token ', input)), {
    ok: 'Use token',
    onOk: async () => { if (!input.value) throw new Error('Enter the token'); setToken(input.value); },
  }).finally(() => { prompt = null; });
  return prompt;
}
onTokenNeeded(askToken);
document.getElementById('token-button').addEventListener('click', async () => {
  if (await askToken(null)) resync();
});

onRoute(route);
route();
// The first read does not wait for the stream; every (re)connect reads once more whatever happened while it was down
// (the server answers a repeated /v2/apps from its cache while nothing changed).
resync();
streamEvents(handleEvent, up => {
  model.streamUp = up;
  if (up) {
    performance.mark('drover:stream-up');
    resync();
  }
  changed();
});
window.droverUi = model; // for the browser tests and bench/ui: how many renders, what is loaded
