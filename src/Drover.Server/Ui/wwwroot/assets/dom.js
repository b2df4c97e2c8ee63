// Building DOM from data. Every value goes in as a text node or an attribute through the DOM API, never parsed as
// markup, so app ids, labels and log lines can hold any characters and still show as text (no XSS by construction).

/** h('div', {class: 'x', onclick: fn}, child, 'text', [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else if (k === 'value') el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the children of el. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A link inside the page: the router handles it without a reload. */
export const link = (path, ...children) => h('a', { href: '/ui' + path, 'data-nav': true }, ...children);

export const appPath = id => '/apps' + id.split('/').map(encodeURIComponent).join('/');

export function ago(iso) {
  if (!iso) return '';
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return `${Math.floor(s)}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export const mib = n => (n >= 1024 ? `${(n / 1024).toFixed(1)} GiB` : `${Math.round(n)} MiB`);
export const num = n => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/**
 * A guard against needless re-renders: true when called with the same key as the last time. Views rebuild their DOM
 * only when what they show changed, so a button under the pointer is not replaced between press and release.
 */
export function unchanged() {
  let last;
  return key => {
    if (key === last) return true;
    last = key;
    return false;
  };
}

/** A bar of segments: [{n, cls, title}] over total. */
export function bar(segments, total) {
  const el = h('div', { class: 'bar' });
  if (total <= 0) return el;
  for (const s of segments) {
    if (s.n <= 0) continue;
    el.appendChild(h('span', { class: 'seg ' + s.cls, title: `${s.n} ${s.title}`, style: { width: `${(100 * s.n) / total}%` } }));
  }
  return el;
}
