import type { Checkpoint } from '../checkpoint/checkpoint.js';

/**
 * The pipeline's counters, whatever the source and sink: read by summaries, progress, metrics
 * and `/status`. Components count their own specifics (requests, bulk timings) themselves.
 */
export class Stats {
  /** Events read from the source, counted once their batch is acknowledged. */
  eventsRead = 0;
  /** Batches acknowledged and checkpointed (CloudWatch pages). */
  pages = 0;
  /** Audit documents the sink acknowledged (new or already present). */
  forwarded = 0;
  created = 0;
  alreadyPresent = 0;
  /** Of those, found by content under another id (release 0.1's, the old forwarder's) and not written. */
  heldUnderOtherIds = 0;
  filtered = 0;
  /** Events that did not parse as audit events. */
  invalid = 0;
  /** Documents the sink refused for good. */
  rejected = 0;
  deadLettered = 0;
  /** Events found new in a range already read (caught by re-reading). */
  lateCaught = 0;
  /** Of those, events that arrived later than the source promises to wait for (delivered all the same). */
  lateBeyondLimit = 0;
  /** Closed ranges re-counted after the ceiling, and of those, ranges where documents were missing (then delivered). */
  rangesVerified = 0;
  rangesIncomplete = 0;
  /** Dead letters the store refused, kept in the local spool instead. */
  spooled = 0;
  /** When the spool was last offered to the store again (epoch ms). */
  spoolTriedAt: number | undefined;
  /** Newest source timestamp of an acknowledged audit event. */
  newestForwarded: number | undefined;
  /** When the checkpoint was last saved (epoch ms), or loaded: its own `updatedAt`. */
  lastCheckpointAt: number | undefined;
  /** The checkpoint last saved or loaded. */
  checkpoint: Checkpoint | undefined;
  readonly startedAt = Date.now();

  checkpointSaved(checkpoint: Checkpoint, at = Date.now()): void {
    this.checkpoint = checkpoint;
    this.lastCheckpointAt = at;
  }

  /** A checkpoint was loaded at start: its age counts from when it was saved. */
  checkpointLoaded(checkpoint: Checkpoint): void {
    const at = Date.parse(checkpoint.updatedAt);
    this.checkpoint = checkpoint;
    this.lastCheckpointAt = Number.isFinite(at) ? at : undefined;
  }

  /** Newest forwarded event timestamp: of this process, else the one the checkpoint remembers. */
  get newestKnownForwarded(): number | undefined {
    const a = this.newestForwarded;
    const b = this.checkpoint?.newestForwarded;
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.max(a, b);
  }
}
