import type { Checkpoint, CheckpointStore } from '../checkpoint/checkpoint.js';
import type { Settings } from '../config/settings.js';
import { forwardWindow, type Control, type Pipeline } from './forward-window.js';

export interface BackfillWindow {
  from: number;
  to: number;
}

/**
 * Forwards one closed window once. Its own checkpoint makes an interrupted backfill resume
 * where it stopped; a window already completed is read again from its start, since asking
 * again means wanting it re-checked (ids make that free of duplicates).
 */
export async function backfill(
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
  p.log.info({ checkpoint: store.location, resumed, from: iso(window.from), to: iso(window.to) }, 'backfill starting');
  const outcome = await forwardWindow(p, start, store, control, (cp) => ({ ...cp, nextToken: undefined, done: true }));
  return { complete: outcome.drained, resumed };
}

const iso = (ms: number) => new Date(ms).toISOString();
