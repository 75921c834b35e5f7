import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { DoctorContext, DoctorResult } from '../../component.js';
import { errorText } from '../../error-text.js';
import { streamRef } from './client.js';
import type { KinesisSettings } from './settings.js';

export const KINESIS_CHECKS = ['kinesis stream'] as const;

/** The stream exists, is readable with these credentials, and is active. */
export async function kinesisDoctor(s: KinesisSettings, client: KinesisClient, ctx: DoctorContext): Promise<DoctorResult[]> {
  try {
    const out = await client.send(new DescribeStreamSummaryCommand(streamRef(s.stream)), { abortSignal: AbortSignal.timeout(ctx.timeoutMs) });
    const d = out.StreamDescriptionSummary!;
    const ok = d.StreamStatus === 'ACTIVE' || d.StreamStatus === 'UPDATING';
    return [
      {
        name: KINESIS_CHECKS[0],
        ok,
        detail: `${d.StreamName}: ${d.StreamStatus}, ${d.OpenShardCount} open shard(s), retention ${d.RetentionPeriodHours} h`,
        hint: ok ? undefined : 'wait for the stream to be ACTIVE',
      },
    ];
  } catch (err) {
    return [{ name: KINESIS_CHECKS[0], ok: false, detail: errorText(err), hint: 'check EKS_FORWARDER_KINESIS_STREAM, the region and kinesis:DescribeStreamSummary, ListShards, GetShardIterator, GetRecords' }];
  }
}
