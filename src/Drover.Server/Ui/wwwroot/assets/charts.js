// Sparkline charts over time, fed from the agents' stats history (GET /v1/drover/.../stats/history): the history
// gives the last hour at once, then only what is newer (?since=) is fetched, so a chart starts full, not empty.
import { h } from './dom.js';
import { getJson } from './api.js';

const SVG = 'http://www.w3.org/2000/svg';

/**
 * Keeps the samples of one history path: load() fetches what is new since the last sample it has and returns all of
 * them (oldest first), at most `keep` long. A failed fetch throws, so the caller can hide its charts.
 */
export function history(path, keep = 720) {
  let samples = [];
  let meta = null;
  return {
    async load() {
      const last = samples.length ? samples[samples.length - 1].timestamp : null;
      const body = await getJson(path + (last ? `?since=${encodeURIComponent(last)}` : ''));
      meta = body;
      samples = samples.concat(body.samples || []).slice(-keep);
      return samples;
    },
    get samples() { return samples; },
    get meta() { return meta; },
  };
}

/**
 * A figure: the title with the latest value, and a line of `values` ({t: ms, v}) over their time span, scaled to
 * `top` when given (a host's cores, its memory) so a full line means full, else to the highest value.
 */
export function chart(title, values, format, cls, top) {
  const w = 240;
  const hgt = 48;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('class', 'spark');
  const points = values.filter(p => p.v !== undefined && p.v !== null);
  if (points.length > 1) {
    const max = Math.max(top || 0, ...points.map(p => p.v), 1e-9);
    const t0 = points[0].t;
    const span = Math.max(points[points.length - 1].t - t0, 1);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', points.map(p => `${((p.t - t0) * w) / span},${hgt - (p.v / max) * (hgt - 2) - 1}`).join(' '));
    svg.appendChild(line);
  }
  const latest = points.length ? format(points[points.length - 1].v) : '…';
  return h('figure', { class: cls, 'data-points': points.length }, h('figcaption', null, title, ': ', latest), svg);
}

/** [{t, v}] of one figure of the samples. */
export const series = (samples, pick) => samples.map(s => ({ t: Date.parse(s.timestamp), v: pick(s) }));
