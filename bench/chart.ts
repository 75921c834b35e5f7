import type { Point } from './samplers.js';

export interface ChartSeries {
  label: string;
  color: string;
  /** Searchable documents over time; drawn as documents per second. */
  docs: Point[];
  /** RSS (MB) over time. */
  rss: Point[];
}

const W = 900;
const PANEL_H = 260;
const M = { left: 70, right: 20, top: 40, bottom: 40 };

/** Documents per second between consecutive samples of a cumulative count, smoothed over 3 s. */
export function rate(count: Point[]): Point[] {
  const raw: Point[] = [];
  for (let i = 1; i < count.length; i++) {
    const dt = count[i]!.t - count[i - 1]!.t;
    if (dt > 0) raw.push({ t: count[i]!.t, v: (count[i]!.v - count[i - 1]!.v) / dt });
  }
  return raw.map((p, i) => {
    const w = raw.slice(Math.max(0, i - 1), i + 2);
    return { t: p.t, v: w.reduce((s, q) => s + q.v, 0) / w.length };
  });
}

/**
 * A hand-made SVG: throughput (indexed documents/s, as Elasticsearch's count shows it) and RSS
 * of each forwarder run over time since its start, one colour per run. No chart library needed.
 */
export function renderChart(title: string, series: ChartSeries[], rssLimitMb: number): string {
  const rates = series.map((s) => rate(s.docs));
  const tMax = niceCeil(Math.max(1, ...series.flatMap((s) => [...s.docs, ...s.rss].map((p) => p.t))));
  const rateMax = niceCeil(Math.max(1, ...rates.flat().map((p) => p.v)));
  const rssMax = niceCeil(Math.max(rssLimitMb * 1.1, ...series.flatMap((s) => s.rss.map((p) => p.v))));
  const H = M.top + 2 * PANEL_H + 60 + M.bottom + 20 * series.length;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  const panel = (top: number, yMax: number, yLabel: string, lines: { color: string; pts: Point[] }[], limit?: number) => {
    const x = (t: number) => M.left + (t / tMax) * (W - M.left - M.right);
    const y = (v: number) => top + PANEL_H - (v / yMax) * PANEL_H;
    for (let i = 0; i <= 5; i++) {
      const v = (yMax * i) / 5;
      parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
      parts.push(`<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
    }
    for (let i = 0; i <= 10; i++) {
      const t = (tMax * i) / 10;
      parts.push(`<text x="${x(t)}" y="${top + PANEL_H + 16}" text-anchor="middle">${fmt(t)}</text>`);
    }
    parts.push(`<rect x="${M.left}" y="${top}" width="${W - M.left - M.right}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
    parts.push(`<text transform="translate(16 ${top + PANEL_H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
    if (limit !== undefined) {
      parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(limit)}" y2="${y(limit)}" stroke="#c00" stroke-dasharray="6 4"/>`);
      parts.push(`<text x="${W - M.right - 4}" y="${y(limit) - 4}" text-anchor="end" fill="#c00">target ${limit} MB</text>`);
    }
    for (const l of lines) {
      if (l.pts.length < 2) continue;
      const d = l.pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${l.color}" stroke-width="1.6"/>`);
    }
  };
  panel(M.top, rateMax, 'indexed documents / s', series.map((s, i) => ({ color: s.color, pts: rates[i]! })));
  const second = M.top + PANEL_H + 50;
  panel(second, rssMax, 'RSS (MB)', series.map((s) => ({ color: s.color, pts: s.rss })), rssLimitMb);
  parts.push(`<text x="${W / 2}" y="${second + PANEL_H + 34}" text-anchor="middle">seconds since the forwarder started</text>`);
  series.forEach((s, i) => {
    const yy = second + PANEL_H + 56 + 18 * i;
    parts.push(`<line x1="${M.left}" x2="${M.left + 24}" y1="${yy - 4}" y2="${yy - 4}" stroke="${s.color}" stroke-width="3"/>`);
    parts.push(`<text x="${M.left + 32}" y="${yy}">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k` : String(Math.round(v * 10) / 10);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
