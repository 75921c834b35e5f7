import { freshCheckpoint, type Checkpoint, type CheckpointStore } from '../checkpoint/checkpoint.js';
import { errorText } from '../error-text.js';
import { iso } from '../time.js';
import { forward, summary, type Control, type Pipeline } from './pipeline.js';
import { waitTicking } from '../wait.js';

export interface RunOptions {
  /** Where a first run starts when the sink holds nothing yet (epoch ms; default one hour ago). */
  startFrom?: number;
  /** How long to wait after a failed attempt before trying again from the checkpoint. */
  retryAfterMs: number;
}

/**
 * The `run` loop: forward from the checkpoint for as long as the source goes on (it polls on
 * its own schedule). A permanent failure (a missing group, denied access) waits and tries again
 * from the saved checkpoint: the loop never dies, and the checkpoint stays where it was.
 */
export async function runLoop<P>(p: Pipeline<P>, store: CheckpointStore, control: Control, opts: RunOptions): Promise<void> {
  let checkpoint = (await store.load()) as Checkpoint<P> | undefined;
  if (checkpoint) {
    checkpoint = { ...checkpoint, position: p.source.parsePosition(checkpoint.position) };
    p.stats.checkpointLoaded(checkpoint);
  } else {
    // Saved before anything is written: once this process has delivered a batch, "the newest
    // delivered document" no longer marks where reading stopped (batches need not be in time order).
    checkpoint = await firstCheckpoint(p, control, opts);
    await store.save(checkpoint);
    p.stats.checkpointSaved(checkpoint);
  }
  p.log.info({ checkpoint: store.location, ...p.source.describe(checkpoint.position) }, 'starting');

  while (!control.stop.aborted) {
    try {
      checkpoint = (await forward(p, checkpoint, store, control)).checkpoint;
    } catch (err) {
      if (control.signal.aborted) break;
      // Another writer owns the checkpoint now (a new leader): this process must not go on.
      if ((err as Error).name === 'StaleCheckpointError') throw err;
      p.log.error({ err: errorText(err) }, 'cycle failed; will retry at the next interval');
      const saved = (await store.load()) as Checkpoint<P> | undefined;
      if (saved) checkpoint = { ...saved, position: p.source.parsePosition(saved.position) };
      await waitTicking(opts.retryAfterMs, control.stop, p.health);
    }
  }
  p.log.info({ ...summary(p.stats) }, 'stopped');
}

async function firstCheckpoint<P>(p: Pipeline<P>, control: Control, opts: RunOptions): Promise<Checkpoint<P>> {
  // Waits out an outage of the sink: guessing a start instead could leave a gap.
  const newest = await p.sink.newestDelivered(control.stop);
  const now = Date.now();
  // A future-dated document must not make the first start skip the range up to it.
  const start = Math.min(newest ?? opts.startFrom ?? now - 60 * 60_000, now);
  const from = newest ? (newest > now ? 'now (the newest delivered document is in the future)' : 'newest delivered document') : opts.startFrom ? '--start-from' : 'one hour ago';
  p.log.info({ start: iso(start), from }, 'no checkpoint yet');
  return freshCheckpoint(p.source.kind, p.source.startAt(start));
}
