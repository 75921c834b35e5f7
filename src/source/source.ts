import type { DoctorContext, DoctorResult } from '../component.js';
import type { SourceEvent } from '../event.js';

/** A batch of events, and where the source resumes once every one of them is acknowledged. */
export interface SourceBatch<P> {
  events: readonly SourceEvent[];
  /** The position to save after the sink acknowledged this batch (and every batch before it). */
  position: P;
  /** Events timestamped at or before this were read once before: a new document among them arrived late. */
  lateBefore?: number;
  /** A late event ingested more than this after its timestamp came beyond what is promised: delivered, and said. */
  lateLimitMs?: number;
  /** Every event of this batch was read before and should be stored: it re-counts a closed range (see `drained`). */
  proving?: boolean;
  /** This batch completes a pass over everything there was to read (a window drained). */
  drained?: boolean;
  /** Nothing more to read after this batch (a closed window drained for good). */
  end?: boolean;
  /** Another process may have written these events lately (a shard taken over): the sink looks again before writing them. */
  othersMayHaveWritten?: boolean;
  /** Whether this process may still write the batch (push mode: it still holds the shard's lease); checked before each write request. */
  stillOwned?: () => boolean;
  /**
   * Called once the batch is acknowledged and its position saved: where a source commits what
   * it decided while reading it (read-ahead means a batch may be read and then replayed).
   */
  acknowledged?: () => void;
}

export interface ReadControl {
  /** Asks for a graceful stop: the source stops yielding (a wait between polls ends at once). */
  stop: AbortSignal;
  /** Aborts in-flight requests: the hard stop. */
  signal: AbortSignal;
}

/** What `status` shows of a position. */
export type PositionSummary = Record<string, string | boolean | number>;

/**
 * A source of raw log events. It owns its position (what it means, how it is saved) and its
 * schedule (when to read, what to read again); the pipeline only saves the position of each
 * batch once the sink has acknowledged it, and hands it back on restart.
 */
export interface Source<P = unknown> {
  /** The kind of source, recorded in the checkpoint (`cloudwatch`). */
  readonly kind: string;
  /** What a checkpoint of this source is keyed by (the log group and prefix). */
  readonly identity: readonly string[];
  /** Where its health and retries are reported (`cloudwatch`). */
  readonly target: string;
  /** How late an event may arrive and still be read (ms): how far back a cut-over starts. */
  readonly latenessCeilingMs: number;
  /** How far behind the newest event it reads again at the most (ms): the replays a sink must recognise. */
  readonly replayHorizonMs: number;
  /** Validates a saved position; throws, saying what is wrong, for one it cannot resume from. */
  parsePosition(saved: unknown): P;
  /** The position of a first start at `start` (epoch ms), when nothing was checkpointed. */
  startAt(start: number): P;
  /** The same source, on the same client and budget, over the closed range up to `to` (epoch ms): it ends there. */
  upTo(to: number): Source<P>;
  /** Batches from `from` on, one requested at a time (back-pressure), until the source ends or `stop`. */
  read(from: P, control: ReadControl): AsyncGenerator<SourceBatch<P>>;
  /** The position says there is nothing more to read (a backfill slice completed). */
  finished(position: P): boolean;
  /** A position as `status` shows it (never a secret or a token's value). */
  describe(position: P): PositionSummary;
  doctor(ctx: DoctorContext): Promise<DoctorResult[]>;
  close(): void;
}
