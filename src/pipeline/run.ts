import { freshCheckpoint, underCurrentKeys, type Checkpoint, type CheckpointStore } from '../checkpoint/checkpoint.js';
import { errorText } from '../error-text.js';
import { iso } from '../time.js';
import { forward, summary, type Control, type Pipeline } from './pipeline.js';
import { compilePolicy } from '../transform/policy.js';
import { transformBatch, type TransformContext } from '../transform/transform-batch.js';
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
    const current = underCurrentKeys(checkpoint);
    if (current !== checkpoint) {
      p.log.info({ adoptBefore: iso(current.adoptBefore!) }, 'checkpoint of a release with other document ids: documents it wrote are matched by content, not written again');
      checkpoint = current;
      await store.save(checkpoint);
    }
  } else {
    // Saved before anything is written: once this process has delivered a batch, "the newest
    // delivered document" no longer marks where reading stopped (batches need not be in time order).
    checkpoint = await untilDone(p, control, opts, () => firstCheckpoint(p, control, opts));
    if (!checkpoint) return;
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
      if ((err as Error).name === 'NotOwnedError') p.log.warn({ err: errorText(err) }, 'a batch was no longer this replica\'s to write; reading again from the checkpoints');
      else p.log.error({ err: errorText(err) }, 'cycle failed; will retry at the next interval');
      const saved = (await store.load()) as Checkpoint<P> | undefined;
      if (saved) checkpoint = { ...saved, position: p.source.parsePosition(saved.position) };
      await waitTicking(opts.retryAfterMs, control.stop, p.health);
    }
  }
  p.log.info({ ...summary(p.stats) }, 'stopped');
}

/**
 * Where a first run starts. Over documents already delivered (the old forwarder's, a previous
 * install's) it starts a lateness ceiling before the newest, to cover that writer's lagging
 * streams and unflushed chunks, and adopts by content what they hold: no gap, no duplicate.
 */
async function firstCheckpoint<P>(p: Pipeline<P>, control: Control, opts: RunOptions): Promise<Checkpoint<P>> {
  // Waits out an outage of the sink: guessing a start instead could leave a gap.
  const newest = await p.sink.newestDelivered(control.stop);
  const now = Date.now();
  if (newest === undefined) {
    const start = Math.min(opts.startFrom ?? now - 60 * 60_000, now);
    p.log.info({ start: iso(start), from: opts.startFrom ? '--start-from' : 'one hour ago' }, 'no checkpoint yet');
    return freshCheckpoint(p.source.kind, p.source.startAt(start));
  }
  // A future-dated document must not make the first start skip the range up to it.
  const newestHere = Math.min(newest, now);
  if (!(await holdsEventsBefore(p, newestHere, control))) {
    const start = Math.min(opts.startFrom ?? now - 60 * 60_000, now);
    p.log.warn(
      { start: iso(start), from: opts.startFrom ? '--start-from' : 'one hour ago', newest: iso(newest) },
      "no checkpoint yet; the store's newest documents are not this log group's events (another cluster's under the same index suffix?): not starting from them",
    );
    return freshCheckpoint(p.source.kind, p.source.startAt(start), { adopt: true });
  }
  const start = newestHere - p.source.latenessCeilingMs;
  const from = newest > now ? 'now (the newest delivered document is in the future)' : 'newest delivered document';
  p.log.info({ start: iso(start), from, minus: 'the lateness ceiling', newest: iso(newest) }, 'no checkpoint yet; documents already delivered are matched by content, not written again');
  return freshCheckpoint(p.source.kind, p.source.startAt(start), { adopt: true });
}

/** Tries `fn` until it succeeds or the process stops (a denied read must not end `run`). */
async function untilDone<P, T>(p: Pipeline<P>, control: Control, opts: RunOptions, fn: () => Promise<T>): Promise<T | undefined> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (control.stop.aborted) return undefined;
      p.log.error({ err: errorText(err) }, 'first start failed; will retry at the next interval');
      await waitTicking(opts.retryAfterMs, control.stop, p.health);
      if (control.stop.aborted) return undefined;
    }
  }
}

/** Every audit event, whatever the policy: the old forwarder may have kept what this policy leaves out. */
const KEEP_ALL: TransformContext = { policy: compilePolicy({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata' }] }) };
const LOOKED_UP_PAGES = 5;

/**
 * Whether the store holds any of this source's audit events of the lateness ceiling before
 * `at`: a few pages read, each looked up by content. It tells this cluster's documents from
 * another cluster's under a shared index suffix, which must never set where reading starts.
 */
async function holdsEventsBefore<P>(p: Pipeline<P>, at: number, control: Control): Promise<boolean> {
  const source = p.source.upTo(at);
  // A short read: a graceful stop waits for it, so what is saved next is never a guess.
  const read = { stop: new AbortController().signal, signal: control.signal };
  let pages = 0;
  for await (const batch of source.read(source.startAt(at - p.source.latenessCeilingMs), read)) {
    const records = transformBatch(batch.events, KEEP_ALL).records.filter((r) => r.kind === 'audit');
    if (records.length > 0 && (await p.sink.heldUnderOtherIds(records, control.signal)).size > 0) return true;
    if (batch.end || ++pages >= LOOKED_UP_PAGES) break;
  }
  return false;
}
