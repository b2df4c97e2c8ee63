// Paths under /ui name the views, so every view can be bookmarked and reloaded (the server answers index.html for
// any /ui path). Links marked data-nav change the view without a reload.
const listeners = new Set();

export const BASE = '/ui';

export function currentPath() {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '/';
  return p === '' || p === '/' ? '/apps' : p;
}

export function navigate(path, { replace = false } = {}) {
  const url = BASE + path;
  if (replace) history.replaceState(null, '', url);
  else if (location.pathname + location.search !== url) history.pushState(null, '', url);
  for (const fn of listeners) fn();
}

export function onRoute(fn) { listeners.add(fn); }

addEventListener('popstate', () => { for (const fn of listeners) fn(); });
document.addEventListener('click', ev => {
  const a = ev.target.closest?.('a[data-nav]');
  if (!a || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(BASE)) return;
  ev.preventDefault();
  navigate(url.pathname.slice(BASE.length) + url.search);
});

/** /apps/prod/web -> {view: 'app', id: '/prod/web'}; the segments were escaped one by one. */
export function parse(path) {
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [section, ...rest] = segs;
  if (section === 'apps' && rest.length) return { view: 'app', id: '/' + rest.join('/') };
  if (section === 'groups') return { view: 'groups', id: '/' + rest.join('/') };
  if (section === 'kv') return { view: 'kv', key: rest.join('/') };
  return { view: section || 'apps' };
}
