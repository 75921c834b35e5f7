import { freshCheckpoint, underCurrentKeys, type Checkpoint, type CheckpointStore } from '../checkpoint/checkpoint.js';
import { iso } from '../time.js';
import { forward, type Control, type Pipeline } from './pipeline.js';

export interface TimeWindow {
  from: number;
  to: number;
}

/** One slice of a backfill: the pipeline reading that slice's source, and its own checkpoint. */
export interface BackfillSlice<P> {
  window: TimeWindow;
  pipeline: Pipeline<P>;
  store: CheckpointStore;
}

/**
 * Forwards one closed window once, in consecutive time slices read concurrently (more requests
 * in flight when each is slow; the source's request budget is shared). Each slice has its own
 * checkpoint, so an interrupted backfill resumes where each stopped; a slice already completed
 * is read again, since asking again means wanting it re-checked (dedup keys make that free of
 * duplicates). Complete only when every slice is.
 */
export async function backfill<P>(slices: BackfillSlice<P>[], control: Control): Promise<{ complete: boolean; resumed: boolean }> {
  const results = await Promise.all(slices.map((slice) => backfillSlice(slice, control)));
  return { complete: results.every((r) => r.complete), resumed: results.some((r) => r.resumed) };
}

/** Consecutive inclusive slices covering [from, to] exactly (FilterLogEvents bounds are inclusive). */
export function splitWindow(window: TimeWindow, slices: number): TimeWindow[] {
  const n = Math.max(1, Math.min(slices, window.to - window.from + 1));
  const span = (window.to - window.from + 1) / n;
  return Array.from({ length: n }, (_, i) => ({
    from: window.from + Math.round(i * span),
    to: i === n - 1 ? window.to : window.from + Math.round((i + 1) * span) - 1,
  }));
}

async function backfillSlice<P>({ window, pipeline: p, store }: BackfillSlice<P>, control: Control): Promise<{ complete: boolean; resumed: boolean }> {
  const saved = (await store.load()) as Checkpoint<P> | undefined;
  const position = saved ? p.source.parsePosition(saved.position) : undefined;
  const resumed = position !== undefined && !p.source.finished(position);
  // A window read again may hold documents of any writer (the old forwarder, release 0.1): adopt them.
  const start: Checkpoint<P> = resumed
    ? underCurrentKeys({ ...saved!, position: position! })
    : freshCheckpoint(p.source.kind, p.source.startAt(window.from), { adopt: true });
  p.log.info({ checkpoint: store.location, resumed, from: iso(window.from), to: iso(window.to) }, 'backfill slice starting');
  const outcome = await forward(p, start, store, control);
  return { complete: outcome.ended, resumed };
}
