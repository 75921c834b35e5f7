import { createTwoFilesPatch, diffLines } from 'diff';
import { stringify } from 'yaml';
import { isNoiseOnly, withoutNoise } from './noise.js';
import type { VersionedChange } from './versions.js';

type Json = Record<string, unknown>;

/** YAML of an object, keys sorted so that two writers' key orders never show as a change; '' for nothing. */
export function toYaml(object: Json | undefined): string {
  return object === undefined ? '' : stringify(object, { sortMapEntries: true, lineWidth: 0 });
}

/** The two sides of a change as the views compare them, or why there is nothing to compare. */
export type Comparison =
  | { kind: 'compare'; before: string; after: string; beforeLabel: string; afterLabel: string }
  /** Only noise (status, managedFields, resourceVersion, ...) changed: shown with --keep-noise. */
  | { kind: 'noise-only' }
  /** No earlier version within the look-back: the after side alone is known. */
  | { kind: 'no-earlier-version'; after: string };

/** What to compare for one change: before and after, noise left out unless `keepNoise`. */
export function compare(v: VersionedChange, keepNoise: boolean): Comparison {
  const after = v.change.after;
  const clean = (o: Json | undefined) => (o === undefined || keepNoise ? o : withoutNoise(o));
  if (v.before.state === 'unknown') return { kind: 'no-earlier-version', after: toYaml(clean(after)) };
  const before = v.before.state === 'version' ? v.before.object : undefined;
  if (!keepNoise && isNoiseOnly(before, after)) return { kind: 'noise-only' };
  const rv = (o: Json | undefined) => (o && typeof o.metadata === 'object' ? ((o.metadata as Json).resourceVersion as string | undefined) : undefined);
  return {
    kind: 'compare',
    before: toYaml(clean(before)),
    after: toYaml(clean(after)),
    beforeLabel: before ? `before (resourceVersion ${rv(before) ?? '?'})` : 'before (nothing)',
    afterLabel: after ? `after (resourceVersion ${rv(after) ?? '?'})` : 'after (nothing: deleted)',
  };
}

/** A unified diff of the two YAML texts (jsdiff's patch, without its `====` banner). */
export function unifiedDiff(c: Extract<Comparison, { kind: 'compare' }>, context = 3): string {
  const patch = createTwoFilesPatch(c.beforeLabel, c.afterLabel, c.before, c.after, undefined, undefined, { context });
  return patch.replace(/^=+\n/, '');
}

export interface SideLine {
  n: number;
  text: string;
  changed: boolean;
}
/** One row of a side-by-side diff; a gap stands for unchanged lines left out. */
export type SideRow = { left?: SideLine; right?: SideLine } | { gap: number };

/** Rows of a side-by-side diff: removed lines paired with the added lines that replace them; long unchanged runs shortened to `context` lines each side. */
export function sideBySide(before: string, after: string, context = 3): SideRow[] {
  const rows: ({ left?: SideLine; right?: SideLine })[] = [];
  let ln = 0;
  let rn = 0;
  const parts = diffLines(before, after);
  const lines = (v: string) => v.replace(/\n$/, '').split('\n');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (!p.added && !p.removed) {
      for (const t of lines(p.value)) rows.push({ left: { n: ++ln, text: t, changed: false }, right: { n: ++rn, text: t, changed: false } });
      continue;
    }
    const removed = p.removed ? lines(p.value) : [];
    const next = parts[i + 1];
    const added = p.added ? lines(p.value) : next?.added ? (i++, lines(next.value)) : [];
    for (let j = 0; j < Math.max(removed.length, added.length); j++) {
      rows.push({
        left: j < removed.length ? { n: ++ln, text: removed[j]!, changed: true } : undefined,
        right: j < added.length ? { n: ++rn, text: added[j]!, changed: true } : undefined,
      });
    }
  }
  const changed = rows.map((r) => !!(r.left?.changed || r.right?.changed));
  const near = (i: number) => changed.slice(Math.max(0, i - context), i + context + 1).some(Boolean);
  const out: SideRow[] = [];
  let skipped = 0;
  rows.forEach((r, i) => {
    if (near(i)) {
      if (skipped > 0) out.push({ gap: skipped });
      skipped = 0;
      out.push(r);
    } else skipped++;
  });
  if (skipped > 0) out.push({ gap: skipped });
  return out;
}
