import { z } from 'zod';
import type { ComponentSettings, SettingSpec } from '../../component.js';
import { duration, integerIn, optionalText } from '../../config/fields.js';
import { parseInstant } from '../../time.js';
import { parseClusterMap, type ClusterMap } from './cluster-map.js';

export interface KinesisSettings {
  region: string;
  /** The stream's name or ARN. */
  stream: string;
  streamPrefix: string;
  clusters: ClusterMap;
  /** Where a shard with no checkpoint starts: its oldest record, or a time (epoch ms). */
  startAt: 'trim-horizon' | number;
  /** A replica whose heartbeat has not moved for this long is dead; its shards are taken over. */
  leaseMs: number;
  recordsPerCall: number;
  /** Wait between reads of a shard that has nothing new. */
  idlePollMs: number;
  awsCredentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Settings of this source alone; the region, prefix and keys are the poller's (same keys, same variables). */
const specs = {
  kinesisStream: {
    env: 'EKS_FORWARDER_KINESIS_STREAM',
    flag: '--kinesis-stream',
    default: 'required with `kinesis`',
    meaning: 'the Kinesis stream the subscription filters write into: name or ARN',
  },
  kinesisClusters: {
    env: 'EKS_FORWARDER_KINESIS_CLUSTERS',
    flag: '--kinesis-clusters',
    default: '`<cluster>` of `/aws/eks/<cluster>/cluster`',
    meaning: "`logGroup=cluster,...`: the cluster (index suffix) of each log group; other groups go to the sink's own (`ELASTIC_INDEX_SUFFIX`, `LINSEED_CLUSTER_ID`)",
  },
  kinesisStart: {
    env: 'EKS_FORWARDER_KINESIS_START',
    flag: '--kinesis-start',
    default: '`trim-horizon`',
    meaning: 'where a shard without a checkpoint starts: `trim-horizon` (its oldest record) or a time (ISO 8601, or a duration ago like 1h: `AT_TIMESTAMP`)',
  },
  kinesisLease: {
    env: 'EKS_FORWARDER_KINESIS_LEASE',
    flag: '--kinesis-lease',
    default: '`15s`',
    meaning: "lease time: a replica silent this long loses its shards to the others (renewed every third of it)",
  },
  kinesisRecordsPerCall: {
    env: 'EKS_FORWARDER_KINESIS_RECORDS_PER_CALL',
    default: '`100`',
    meaning: 'GetRecords `Limit` (1-10000): bounds the memory of one batch (a record holds up to 1 MB of gzip\'d events)',
  },
  kinesisIdlePoll: {
    env: 'EKS_FORWARDER_KINESIS_IDLE_POLL',
    default: '`500ms`',
    meaning: 'wait between reads of a shard that is caught up (2 GetRecords a second of the 5 a shard allows all its consumers)',
  },
} as const satisfies Record<string, SettingSpec>;

const schema = z.object({
  region: optionalText,
  streamPrefix: optionalText.transform((v) => v ?? 'kube-apiserver-audit-'),
  kinesisStream: optionalText,
  kinesisClusters: optionalText,
  kinesisStart: optionalText.transform((v, ctx) => {
    if (v === undefined || v.toLowerCase() === 'trim-horizon') return 'trim-horizon' as const;
    const t = parseInstant(v);
    if (t === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be trim-horizon, ISO 8601 or a duration ago like 1h, got "${v}"` });
      return z.NEVER;
    }
    return t;
  }),
  kinesisLease: duration(15_000),
  kinesisRecordsPerCall: integerIn(1, 10_000),
  kinesisIdlePoll: duration(500),
  awsAccessKeyId: optionalText,
  awsSecretAccessKey: optionalText,
});

const STREAM = /^(arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/)?[a-zA-Z0-9_.-]{1,128}$/;

/** The kinesis source's settings: the stream, how log groups map to clusters, the leases. */
export const kinesisSettings: ComponentSettings<KinesisSettings> = {
  specs,
  schema,
  resolve(raw, issue) {
    const s = raw as z.infer<typeof schema>;
    if (!s.region) issue('region', 'is required (the AWS region of the stream)');
    if (!s.kinesisStream) issue('kinesisStream', 'is required with EKS_FORWARDER_SOURCE=kinesis (the stream name or ARN)');
    else if (!STREAM.test(s.kinesisStream)) issue('kinesisStream', `must be a stream name or arn:aws:kinesis:<region>:<account>:stream/<name>, got "${s.kinesisStream}"`);
    const clusters = parseClusterMap(s.kinesisClusters);
    if (typeof clusters === 'string') issue('kinesisClusters', clusters);
    if (s.kinesisLease < 3_000) issue('kinesisLease', 'must be at least 3s (renewed every third of it)');
    let awsCredentials: KinesisSettings['awsCredentials'];
    if (s.awsAccessKeyId !== undefined || s.awsSecretAccessKey !== undefined) {
      if (!s.awsAccessKeyId || !s.awsSecretAccessKey) issue(s.awsAccessKeyId ? 'awsSecretAccessKey' : 'awsAccessKeyId', 'incomplete credentials: both aws-id and aws-key are needed');
      else awsCredentials = { accessKeyId: s.awsAccessKeyId, secretAccessKey: s.awsSecretAccessKey };
    }
    if (!s.region || !s.kinesisStream || typeof clusters === 'string') return undefined;
    return {
      region: s.region,
      stream: s.kinesisStream,
      streamPrefix: s.streamPrefix,
      clusters,
      startAt: s.kinesisStart,
      leaseMs: s.kinesisLease,
      recordsPerCall: s.kinesisRecordsPerCall ?? 100,
      idlePollMs: s.kinesisIdlePoll,
      awsCredentials,
    };
  },
};
