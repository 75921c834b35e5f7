import type { SourceEvent } from '../event.js';
import { iso } from '../time.js';

/** An event the forwarder could not deliver as an audit document, kept whole. */
export interface DeadLetter {
  '@timestamp': string;
  reason: string;
  logGroup: string;
  logStream: string;
  eventId: string;
  cloudwatchTimestamp: number;
  ingestionTime: number;
  /** The auditID when it can be read even from a cut-off message. */
  auditID?: string;
  message: string;
}

export function deadLetter(event: SourceEvent, reason: string): DeadLetter {
  const auditID = /"auditID"\s*:\s*"([^"\\]{1,128})"/.exec(event.message)?.[1];
  return {
    '@timestamp': iso(event.timestamp),
    reason,
    logGroup: event.group,
    logStream: event.stream,
    eventId: event.eventId,
    cloudwatchTimestamp: event.timestamp,
    ingestionTime: event.ingestionTime,
    ...(auditID ? { auditID } : {}),
    message: event.message,
  };
}

/** The source's event id is unique per stored event, so a replay rewrites the same dead letter. */
export function deadLetterId(event: SourceEvent): string {
  return `${event.stream}/${event.eventId}`;
}
