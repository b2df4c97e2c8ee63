// What the page knows about the cluster, kept current from the event stream. Events only mark apps (or the
// deployments) dirty; a short timer then fetches what changed in one batch, and the page re-renders at most once per
// animation frame. A burst of thousands of events costs a handful of requests and frames, never one of each per event.
import { appUrl, getJson, ApiError } from './api.js';

export const model = {
  apps: new Map(),        // id -> app as /v2/apps gives it (tasks included once fetched one by one)
  sortedIds: [],
  deployments: [],
  events: [],             // newest last, at most EVENT_LIMIT
  appsLoaded: false,
  streamUp: false,
  renders: 0,
};

const EVENT_LIMIT = 500;
// More dirty apps than this in one batch: one GET /v2/apps is cheaper than that many GET /v2/apps/{id}.
const BATCH_LIMIT = 25;
const FLUSH_DELAY_MS = 60;

const listeners = new Set();
const eventListeners = new Set();
let frameRequested = false;

export function subscribe(fn) { listeners.add(fn); return () => listeners.delete(fn); }
export function onEvent(fn) { eventListeners.add(fn); return () => eventListeners.delete(fn); }

/** One render per animation frame, however many changes arrive in between. */
export function changed() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    model.renders++;
    for (const fn of listeners) fn();
  });
}

function sortIds() { model.sortedIds = [...model.apps.keys()].sort(); }

export async function loadApps() {
  const body = await getJson('/v2/apps');
  const before = model.apps;
  model.apps = new Map(body.apps.map(a => [a.id, a]));
  // the list has no tasks: an app someone looks at keeps its tasks on screen and has them re-read
  for (const [id, app] of before) {
    const now = model.apps.get(id);
    if (app.tasks && now) { now.tasks = app.tasks; markApp(id); }
  }
  sortIds();
  if (!model.appsLoaded) performance.mark('drover:apps-loaded');
  model.appsLoaded = true;
  changed();
}

export async function loadDeployments() {
  model.deployments = await getJson('/v2/deployments');
  changed();
}

/** One app with its tasks (the detail view's data); null when it is gone. */
export async function loadApp(id) {
  try {
    const { app } = await getJson(appUrl(id));
    const known = model.apps.has(id);
    model.apps.set(id, app);
    if (!known) sortIds();
    changed();
    return app;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
    if (model.apps.delete(id)) sortIds();
    changed();
    return null;
  }
}

const dirtyApps = new Set();
let dirtyDeployments = false;
let flushTimer = null;
let flushing = false;

export function markApp(id) { if (id) { dirtyApps.add(id); scheduleFlush(); } }
export function markDeployments() { dirtyDeployments = true; scheduleFlush(); }

function scheduleFlush() {
  if (flushTimer || flushing) return;
  flushTimer = setTimeout(flush, FLUSH_DELAY_MS);
}

async function flush() {
  flushTimer = null;
  flushing = true;
  const apps = [...dirtyApps];
  const deployments = dirtyDeployments;
  dirtyApps.clear();
  dirtyDeployments = false;
  try {
    const work = [];
    if (apps.length > BATCH_LIMIT) work.push(loadApps());
    else for (const id of apps) work.push(loadApp(id));
    if (deployments) work.push(loadDeployments());
    await Promise.allSettled(work);
  } finally {
    flushing = false;
    if (dirtyApps.size > 0 || dirtyDeployments) scheduleFlush();
  }
}

/** The apps an event is about (Marathon's event shapes). */
export function appsOf(type, data) {
  if (data.appId) return [data.appId];
  if (data.runSpecId) return [data.runSpecId];
  if (data.appDefinition?.id) return [data.appDefinition.id];
  const plan = data.plan;
  if (plan) {
    const ids = new Set();
    for (const step of plan.steps || []) for (const a of step.actions || []) if (a.app) ids.add(a.app);
    return [...ids];
  }
  return [];
}

export function handleEvent(type, data) {
  model.events.push({ type, data, at: Date.now() });
  if (model.events.length > EVENT_LIMIT) model.events.splice(0, model.events.length - EVENT_LIMIT);
  if (type === 'api_post_event') applyDefinition(data.appDefinition);
  for (const id of appsOf(type, data)) markApp(id);
  if (type.startsWith('deployment_')) markDeployments();
  for (const fn of eventListeners) fn(type, data);
  changed();
}

/**
 * api_post_event carries the definition the server has just written (it is sent once the write is durable): a known
 * app shows its new instances, cmd, version… at once instead of after its re-read, which still follows (markApp) for
 * the task counts. bench/ui: a burst of 20 scales waited for 20 GET /v2/apps/{id} through the browser's six
 * connections per host, ~0.9 s after the PUTs had answered at 1,000 apps / 10,000 tasks.
 */
function applyDefinition(def) {
  const known = def?.id && model.apps.get(def.id);
  if (known) model.apps.set(def.id, { ...known, ...def });
}

/** After the stream (re)connects, what happened while it was down is unknown: read it all once. */
export function resync() {
  return Promise.allSettled([loadApps(), loadDeployments()]);
}
