/**
 * One raw log event as any source delivers it, before it is parsed: the neutral currency
 * between sources, the transform and the sinks' dead letters.
 */
export interface SourceEvent {
  /** The log group it was read from (`/aws/eks/<cluster>/cluster`). */
  group: string;
  /** The log stream it was written to (an API server instance's audit stream). */
  stream: string;
  /** The source's own id of the stored event, unique within the log group. */
  eventId: string;
  /** The event's timestamp (epoch ms), as the source orders it. */
  timestamp: number;
  /** When the source stored it (epoch ms); later than `timestamp` for a late arrival. */
  ingestionTime: number;
  message: string;
  /**
   * The cluster whose audit index it belongs to, when one source carries several clusters
   * (push mode); absent: the sink's own index suffix.
   */
  cluster?: string;
}
