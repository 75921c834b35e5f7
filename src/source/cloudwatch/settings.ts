import { z } from 'zod';
import type { ComponentSettings, SettingSpec } from '../../component.js';
import { duration, integerIn, isFalse, isTrue, optionalText, positiveSeconds } from '../../config/fields.js';
import { parseDuration } from '../../time.js';

export interface CloudWatchSettings {
  region: string;
  groupName: string;
  streamPrefix: string;
  fetchIntervalMs: number;
  requestsPerSecond: number;
  /** Fixed FilterLogEvents `limit`; when unset, pages are sized to about 1 MB. */
  pageLimit?: number;
  /**
   * Let CloudWatch filter by a pattern compiled from the policy (fewer bytes on the wire):
   * `sweeps` in the lateness re-reads only, `all` in every read, `off` nowhere.
   */
  prefilter: Prefilter;
  latenessFloorMs: number;
  latenessCeilingMs: number;
  /** Share of the request budget (0-1) spent re-counting ranges the ceiling has passed; 0: off. */
  recountShare: number;
  /** Only when given by the cluster's Secret; otherwise the SDK's default credential chain. */
  awsCredentials?: { accessKeyId: string; secretAccessKey: string };
}

export type Prefilter = 'off' | 'sweeps' | 'all';

const specs = {
  region: {
    env: 'AWS_REGION',
    flag: '--region',
    default: 'required',
    meaning: 'region of the log group',
    cluster: '`spec.additionalSources.eksCloudwatchLog.region`',
  },
  groupName: {
    env: 'EKS_CLOUDWATCH_LOG_GROUP',
    flag: '--group',
    default: 'required',
    meaning: 'log group, e.g. `/aws/eks/<cluster>/cluster`',
    cluster: '`...eksCloudwatchLog.groupName`',
  },
  streamPrefix: {
    env: 'EKS_CLOUDWATCH_LOG_STREAM_PREFIX',
    flag: '--stream-prefix',
    default: '`kube-apiserver-audit-`',
    meaning: 'only streams with this prefix are forwarded',
    cluster: '`...eksCloudwatchLog.streamPrefix`',
  },
  fetchInterval: {
    env: 'EKS_CLOUDWATCH_LOG_FETCH_INTERVAL',
    flag: '--fetch-interval',
    default: '`60`',
    meaning: 'seconds between polls (positive)',
    cluster: '`...eksCloudwatchLog.fetchInterval` (0 means 60)',
  },
  pollInterval: {
    env: 'EKS_CLOUDWATCH_POLL_INTERVAL',
    default: 'none',
    meaning: "the fetch interval as a duration (`60s`), as the operator's fluent-bit forwarder takes it; the same as the setting above",
  },
  requestsPerSecond: {
    env: 'EKS_FORWARDER_REQUESTS_PER_SECOND',
    flag: '--requests-per-second',
    default: '`2`',
    meaning: "CloudWatch request budget for the whole process (the account's shared quota is 5/s)",
  },
  pageLimit: {
    env: 'EKS_FORWARDER_PAGE_LIMIT',
    flag: '--page-limit',
    default: 'sized to ~1 MB',
    meaning: 'fixed FilterLogEvents `limit` (1-10000)',
  },
  prefilter: {
    env: 'EKS_FORWARDER_PREFILTER',
    flag: '--prefilter',
    default: '`sweeps`',
    meaning: 'where CloudWatch filters with a JSON pattern compiled from the policy (a safe superset; cut-off events read in a pass of their own): `sweeps` (the lateness re-reads), `all` (every read: `true` says the same), `off` (`false`)',
  },
  latenessFloor: {
    env: 'EKS_FORWARDER_LATENESS_FLOOR',
    flag: '--lateness-floor',
    default: '`2m`',
    meaning: 'age at which every range is read again a first time, for late arrivals',
  },
  latenessCeiling: {
    env: 'EKS_FORWARDER_LATENESS_CEILING',
    flag: '--lateness-ceiling',
    default: '`15m`',
    meaning: 'age at which every range is read again a last time: an event ingested later than this after its timestamp is not promised',
  },
  recountShare: {
    env: 'EKS_FORWARDER_RECOUNT_SHARE',
    flag: '--recount-share',
    default: '`0` (off)',
    meaning: 'share of the request budget (0-1) `run` spends re-reading every range once more after the ceiling, to prove it complete; a missing event found is delivered (`ranges_verified_total`, `ranges_incomplete_total`)',
  },
  awsAccessKeyId: {
    source: 'Secret key aws-id',
    default: 'SDK default chain',
    meaning: 'CloudWatch access key id (otherwise `AWS_ACCESS_KEY_ID`, IRSA web identity, Pod Identity, profiles)',
    cluster: 'Secret `tigera-eks-log-forwarder-secret`: `aws-id`',
  },
  awsSecretAccessKey: {
    source: 'Secret key aws-key',
    default: 'SDK default chain',
    meaning: 'CloudWatch secret access key (otherwise `AWS_SECRET_ACCESS_KEY`, ...)',
    cluster: 'Secret `tigera-eks-log-forwarder-secret`: `aws-key`',
  },
} as const satisfies Record<string, SettingSpec & { cluster?: string }>;

const schema = z.object({
  region: optionalText,
  groupName: optionalText,
  streamPrefix: optionalText.transform((v) => v ?? 'kube-apiserver-audit-'),
  fetchInterval: optionalText.pipe(positiveSeconds(60).optional()),
  pollInterval: optionalText.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const ms = parseDuration(v);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `must be a positive duration like 60s, got "${v}"` });
      return z.NEVER;
    }
    return ms;
  }),
  requestsPerSecond: optionalText.transform((v, ctx) => {
    if (v === undefined) return 2;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || n > 5) {
      ctx.addIssue({ code: 'custom', message: `must be above 0 and at most 5 (the account's shared quota), got "${v}"` });
      return z.NEVER;
    }
    return n;
  }),
  pageLimit: integerIn(1, 10_000),
  prefilter: optionalText.transform((v, ctx): Prefilter => {
    if (v === undefined) return 'sweeps';
    const value = v.toLowerCase();
    if (value === 'sweeps') return 'sweeps';
    if (value === 'all' || isTrue(value)) return 'all';
    if (value === 'off' || isFalse(value)) return 'off';
    ctx.addIssue({ code: 'custom', message: `must be sweeps, all or off, got "${v}"` });
    return z.NEVER;
  }),
  latenessFloor: duration(2 * 60_000),
  latenessCeiling: duration(15 * 60_000),
  recountShare: optionalText.transform((v, ctx) => {
    if (v === undefined) return 0;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      ctx.addIssue({ code: 'custom', message: `must be a share of the request budget from 0 (off) to 1, got "${v}"` });
      return z.NEVER;
    }
    return n;
  }),
  awsAccessKeyId: optionalText,
  awsSecretAccessKey: optionalText,
});

/** The CloudWatch Logs source's settings: the log group, its polling and its credentials. */
export const cloudwatchSettings: ComponentSettings<CloudWatchSettings> = {
  specs,
  schema,
  resolve(raw, issue) {
    const s = raw as z.infer<typeof schema>;
    if (!s.region) issue('region', 'is required (the AWS region of the log group)');
    if (!s.groupName) issue('groupName', 'is required (the CloudWatch log group, e.g. /aws/eks/<cluster>/cluster)');
    if (s.latenessFloor > s.latenessCeiling) issue('latenessFloor', `must not exceed ${specs.latenessCeiling.env} / ${specs.latenessCeiling.flag}`);
    let awsCredentials: CloudWatchSettings['awsCredentials'];
    if (s.awsAccessKeyId !== undefined || s.awsSecretAccessKey !== undefined) {
      if (!s.awsAccessKeyId || !s.awsSecretAccessKey) {
        issue(s.awsAccessKeyId ? 'awsSecretAccessKey' : 'awsAccessKeyId', 'incomplete Cloudwatch credentials: both aws-id and aws-key are needed');
      } else {
        awsCredentials = { accessKeyId: s.awsAccessKeyId, secretAccessKey: s.awsSecretAccessKey };
      }
    }
    if (s.fetchInterval !== undefined && s.pollInterval !== undefined && s.fetchInterval !== s.pollInterval) {
      issue(['fetchInterval', 'pollInterval'], `disagree (${s.fetchInterval / 1000} s and ${s.pollInterval / 1000} s): set one`);
    }
    if (!s.region || !s.groupName) return undefined;
    return {
      region: s.region,
      groupName: s.groupName,
      streamPrefix: s.streamPrefix,
      fetchIntervalMs: s.fetchInterval ?? s.pollInterval ?? 60_000,
      requestsPerSecond: s.requestsPerSecond,
      pageLimit: s.pageLimit,
      prefilter: s.prefilter,
      latenessFloorMs: s.latenessFloor,
      latenessCeilingMs: s.latenessCeiling,
      recountShare: s.recountShare,
      awsCredentials,
    };
  },
};
