// Every call to the server: same origin, the API token (when one is set) as a Bearer header, and errors turned into
// one readable message (Marathon's {"message", "details"} or Consul's plain text).

const TOKEN_KEY = 'drover.apiToken';
let token = sessionStorage.getItem(TOKEN_KEY) || '';
let askToken = null; // set by main.js: shows the token prompt and resolves once the user has answered

export const hasToken = () => token.length > 0;
export function setToken(t) {
  token = t || '';
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}
export function onTokenNeeded(fn) { askToken = fn; }

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers(extra) {
  // X-Requested-With: the server answers a missing token with a Bearer challenge, not Basic (no browser password box)
  const h = { 'X-Requested-With': 'XMLHttpRequest', ...extra };
  if (token) h.Authorization = 'Bearer ' + token;
  return h;
}

async function errorOf(resp) {
  const text = await resp.text();
  try {
    const body = JSON.parse(text);
    const details = (body.details || []).map(d => `${d.path}: ${(d.errors || []).join(', ')}`).join('; ');
    return new ApiError(resp.status, (body.message || text) + (details ? ` (${details})` : ''));
  } catch {
    return new ApiError(resp.status, text || `HTTP ${resp.status}`);
  }
}

// A wrong token is asked for again (the prompt shows why), a few times, until the user gives up (Cancel).
const TOKEN_ATTEMPTS = 5;

/** fetch with the token; on 401/403 asks for a token and retries. Returns the Response (ok) or throws ApiError. */
export async function request(method, path, body, { signal, accept } = {}) {
  for (let attempt = 0; ; attempt++) {
    const init = { method, headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}), signal };
    if (accept) init.headers.Accept = accept;
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const resp = await fetch(path, init);
    if (resp.ok) return resp;
    if ((resp.status === 401 || resp.status === 403) && attempt < TOKEN_ATTEMPTS && askToken && (await askToken(await errorOf(resp)))) continue;
    throw await errorOf(resp);
  }
}

export const getJson = async (path, opts) => (await request('GET', path, undefined, opts)).json();
export const send = async (method, path, body) => {
  const resp = await request(method, path, body);
  const text = await resp.text();
  return text ? JSON.parse(text) : {};
};

/** App ids are paths: each segment escaped, the slashes kept (Marathon's /v2/apps/prod/web). */
export const appUrl = id => '/v2/apps' + id.split('/').map(encodeURIComponent).join('/');

/**
 * Marathon's event stream (Server-Sent Events) read through fetch rather than EventSource, which cannot send the
 * Authorization header. Reconnects with a backoff doubling to 10 s; onState(true|false) reports the connection.
 */
export function streamEvents(onEvent, onState) {
  let stopped = false;
  let controller = null;
  let delay = 500;
  (async function loop() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const resp = await request('GET', '/v2/events?plan-format=light', undefined, { signal: controller.signal, accept: 'text/event-stream' });
        onState(true);
        delay = 500;
        await readSse(resp.body, onEvent);
      } catch (e) {
        if (stopped) return;
        console.warn('event stream:', e.message);
      }
      onState(false);
      await new Promise(r => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000);
    }
  })();
  return () => { stopped = true; controller?.abort(); };
}

async function readSse(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    // events end with a blank line; Marathon (and Drover) frame lines with CRLF
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      let type = 'message';
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue;
      try { onEvent(type, JSON.parse(data.join('\n'))); } catch (e) { console.warn('bad event', type, e); }
    }
  }
}
