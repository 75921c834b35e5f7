import type { Checkpoint, CheckpointStore } from '../checkpoint/checkpoint.js';
import type { Settings } from '../config/settings.js';
import { forwardWindow, type Control, type Pipeline } from './forward-window.js';

export interface BackfillWindow {
  from: number;
  to: number;
}

/**
 * Forwards one closed window once, split into `slices` consecutive time slices read
 * concurrently under the one request budget (more requests in flight when each is slow).
 * Each slice has its own checkpoint, so an interrupted backfill resumes where each stopped; a
 * slice already completed is read again, since asking again means wanting it re-checked
 * (ids make that free of duplicates). Complete only when every slice is.
 */
export async function backfill(
  p: Pipeline,
  settings: Settings,
  window: BackfillWindow,
  storeFor: (slice: number, slices: number) => CheckpointStore,
  control: Control,
  slices = 1,
): Promise<{ complete: boolean; resumed: boolean }> {
  const results = await Promise.all(
    splitWindow(window, slices).map((slice, i) => backfillSlice(p, settings, slice, storeFor(i, slices), control)),
  );
  return { complete: results.every((r) => r.complete), resumed: results.some((r) => r.resumed) };
}

/** Consecutive inclusive slices covering [from, to] exactly (FilterLogEvents bounds are inclusive). */
export function splitWindow(window: BackfillWindow, slices: number): BackfillWindow[] {
  const n = Math.max(1, Math.min(slices, window.to - window.from + 1));
  const span = (window.to - window.from + 1) / n;
  return Array.from({ length: n }, (_, i) => ({
    from: window.from + Math.round(i * span),
    to: i === n - 1 ? window.to : window.from + Math.round((i + 1) * span) - 1,
  }));
}

async function backfillSlice(
  p: Pipeline,
  settings: Settings,
  window: BackfillWindow,
  store: CheckpointStore,
  control: Control,
): Promise<{ complete: boolean; resumed: boolean }> {
  const saved = await store.load();
  const resumed = saved !== undefined && !saved.done;
  const start: Checkpoint = resumed
    ? saved
    : {
        version: 1,
        groupName: settings.groupName,
        streamPrefix: settings.streamPrefix,
        windowStart: window.from,
        windowEnd: window.to,
        updatedAt: new Date().toISOString(),
      };
  p.log.info({ checkpoint: store.location, resumed, from: iso(window.from), to: iso(window.to) }, 'backfill slice starting');
  const outcome = await forwardWindow(p, start, store, control, (cp) => ({ ...cp, nextToken: undefined, done: true }));
  return { complete: outcome.drained, resumed };
}

const iso = (ms: number) => new Date(ms).toISOString();
