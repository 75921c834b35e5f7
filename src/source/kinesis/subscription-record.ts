import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import type { SourceEvent } from '../../event.js';
import type { ClusterMap } from './cluster-map.js';
import { clusterOfGroup } from './cluster-map.js';

/** What CloudWatch Logs puts into the stream for a subscription filter, once un-gzipped. */
const subscriptionMessageSchema = z.discriminatedUnion('messageType', [
  z.object({ messageType: z.literal('CONTROL_MESSAGE') }),
  z.object({
    messageType: z.literal('DATA_MESSAGE'),
    logGroup: z.string().min(1),
    logStream: z.string().min(1),
    subscriptionFilters: z.array(z.string()).default([]),
    logEvents: z.array(z.object({ id: z.string().min(1), timestamp: z.number(), message: z.string() })),
  }),
]);

export type DecodedRecord =
  /** CloudWatch's own check that it can write to the stream: no events. */
  | { kind: 'control' }
  /** Events of another stream of the group (the subscription does not apply the prefix). */
  | { kind: 'other-stream'; group: string; stream: string; events: number }
  | { kind: 'data'; group: string; stream: string; cluster: string | undefined; events: SourceEvent[] }
  /** Not a subscription message at all: kept whole as one dead-letter event. */
  | { kind: 'invalid'; reason: string };

export interface DecodeOptions {
  streamPrefix: string;
  clusters: ClusterMap;
}

/**
 * Decodes one Kinesis record of a CloudWatch Logs subscription (the SDK already undid the
 * base64): gzip, then JSON. `arrivedAt` (epoch ms) stands in for ingestion time, which the
 * subscription message does not carry.
 */
export function decodeSubscriptionRecord(data: Uint8Array, arrivedAt: number, opts: DecodeOptions): DecodedRecord {
  let json: unknown;
  try {
    json = JSON.parse(gunzipSync(data).toString('utf8'));
  } catch (err) {
    return { kind: 'invalid', reason: `not a gzip'd JSON subscription message: ${(err as Error).message}` };
  }
  const parsed = subscriptionMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'invalid', reason: `not a CloudWatch Logs subscription message: ${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
  }
  const m = parsed.data;
  if (m.messageType === 'CONTROL_MESSAGE') return { kind: 'control' };
  if (!m.logStream.startsWith(opts.streamPrefix)) return { kind: 'other-stream', group: m.logGroup, stream: m.logStream, events: m.logEvents.length };
  const cluster = clusterOfGroup(m.logGroup, opts.clusters);
  const events = m.logEvents.map(
    (e): SourceEvent => ({
      group: m.logGroup,
      stream: m.logStream,
      eventId: e.id,
      timestamp: e.timestamp,
      // Never before the event's own time: a late arrival is one ingested long after its timestamp.
      ingestionTime: Math.max(arrivedAt, e.timestamp),
      message: e.message,
      ...(cluster !== undefined ? { cluster } : {}),
    }),
  );
  return { kind: 'data', group: m.logGroup, stream: m.logStream, cluster, events };
}
