/** Counters of one process, read by summaries (and later by metrics). */
export class Stats {
  eventsRead = 0;
  otherStreamEvents = 0;
  bytesRead = 0;
  pages = 0;
  /** Audit documents Elasticsearch acknowledged (new or already present). */
  forwarded = 0;
  created = 0;
  alreadyPresent = 0;
  filtered = 0;
  /** Events that did not parse as audit events. */
  invalid = 0;
  /** Documents Elasticsearch refused for good. */
  rejected = 0;
  deadLettered = 0;
  /** Events found new in a range already read (caught by the lateness overlap). */
  lateCaught = 0;
  retries = 0;
  tokenRestarts = 0;
  /** Newest CloudWatch timestamp of an acknowledged audit event. */
  newestForwarded: number | undefined;
  /** The overlap re-read behind the head, sized from observed lateness (ms). */
  overlapMs = 0;
  readonly startedAt = Date.now();
}
