// Peak RSS of the Linseed sink's delivered set holding every key of its retention at a steady
// rate of kept events (default 1,000/s), under the image's heap caps. Run:
//   npx esbuild bench/delivered-set-memory.ts --bundle --platform=node --format=esm --outfile=.scratch/dsm.mjs &&
//   node --max-old-space-size=160 --max-semi-space-size=8 [--expose-gc] .scratch/dsm.mjs [rate]
// With --expose-gc it also reports the set's arrays after a full collection (what it holds, not garbage).
import { DeliveredSet } from '../src/sink/linseed/delivered-set.js';

const rate = Number(process.argv[2] ?? 1_000);
const retainMs = 30 * 60_000; // the sink's default (linseed-sink.ts RETAIN_MS)
const set = new DeliveredSet(retainMs);
const t0 = Date.parse('2026-12-01T00:00:00Z');
const before = process.memoryUsage().rss;
let peak = before;
// Ten minutes past the retention, so pruning runs in its steady state.
for (let s = 0; s < retainMs / 1000 + 600; s++) {
  for (let i = 0; i < rate; i++) set.add(`${(s * rate + i).toString(16).padStart(32, '0')}:ResponseComplete:abcdefghijk`, t0 + s * 1000 + i);
  // As the sink does: the retention follows the newest request time written (here, also "now").
  set.advance(t0 + s * 1000 + rate - 1, t0 + s * 1000 + rate);
  if (s % 60 === 0) set.prune();
  if (s % 10 === 0) peak = Math.max(peak, process.memoryUsage().rss);
}
const m = process.memoryUsage();
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
gc?.(); // a second pass frees the backing stores the first one released
const held = gc ? { arraysAfterGcMB: Math.round(process.memoryUsage().arrayBuffers / 1e6), rssAfterGcMB: Math.round(process.memoryUsage().rss / 1e6) } : {};
console.log(JSON.stringify({ ratePerSecond: rate, retainMinutes: retainMs / 60_000, keys: set.size, rssBeforeMB: Math.round(before / 1e6), peakRssMB: Math.round(peak / 1e6), typedArraysMB: Math.round(m.arrayBuffers / 1e6), ...held }));
