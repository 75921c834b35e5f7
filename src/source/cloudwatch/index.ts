import type { ComponentContext, ComponentKind } from '../../component.js';
import type { AuditPolicy } from '../../transform/policy.js';
import { createCloudWatchClient } from './client.js';
import { AwsClock } from './clock.js';
import { CloudWatchSource, CloudWatchStats, type CloudWatchMode } from './cloudwatch-source.js';
import { CLOUDWATCH_CHECKS, cloudwatchDoctor } from './doctor.js';
import { compileFilterPattern } from './filter-pattern.js';
import { cloudwatchMetrics } from './metrics.js';
import { createRequestBudget, type RequestBudget } from './request-budget.js';
import { cloudwatchSettings, type CloudWatchSettings } from './settings.js';

export interface CloudWatchOptions {
  policy: AuditPolicy;
  /** `tail` for `run` (default), a closed window for `backfill` and `verify`. */
  mode?: CloudWatchMode;
  /** Overrides the setting: `verify` reads without the prefilter, as it judges by the policy alone. */
  prefilter?: boolean;
  /** Shares one request budget between the slices of a backfill (the quota is the account's). */
  budget?: RequestBudget;
}

/** CloudWatch Logs' FilterLogEvents as a source kind. */
export const cloudwatch = {
  kind: 'cloudwatch' as const,
  settings: cloudwatchSettings,
  target: 'cloudwatch',
  checks: CLOUDWATCH_CHECKS,
  metrics: cloudwatchMetrics,
  identity: (s) => [s.groupName, s.streamPrefix],
  describe: (s) => `region ${s.region}, group ${s.groupName}, prefix ${s.streamPrefix}`,
  async doctor(s, ctx) {
    const client = createCloudWatchClient({ region: s.region, budget: createRequestBudget(s.requestsPerSecond), credentials: s.awsCredentials });
    try {
      return await cloudwatchDoctor(s, client, ctx);
    } finally {
      client.destroy();
    }
  },
  counters: (source) => ({
    retriesCloudwatch: source.stats.retries,
    throttles: source.stats.throttles,
    cloudwatchRequests: source.stats.budget.spent,
    sweepPages: source.stats.sweepPages,
    sweepBytes: source.stats.sweepBytes,
  }),
  create(s: CloudWatchSettings, ctx: ComponentContext, opts: CloudWatchOptions): CloudWatchSource {
    const { log } = ctx;
    const stats = new CloudWatchStats(opts.budget ?? createRequestBudget(s.requestsPerSecond));
    const clock = new AwsClock();
    const client = createCloudWatchClient({
      region: s.region,
      budget: stats.budget,
      credentials: s.awsCredentials,
      onDate: (date) => clock.observeDate(date),
      onAttempt: (outcome) => {
        if (!outcome.throttled) return;
        stats.throttles += 1;
        log.debug('CloudWatch throttled a request');
      },
    });
    const prefilter = opts.prefilter === false ? 'off' : s.prefilter;
    const mode = opts.mode ?? { kind: 'tail' };
    // A closed window (backfill, verify) has no sweeps: there `sweeps` filters nothing.
    const used = prefilter === 'all' || (prefilter === 'sweeps' && mode.kind === 'tail');
    const pattern = used ? compileFilterPattern(opts.policy) : undefined;
    if (used) {
      const where = prefilter === 'all' ? 'CloudWatch prefilter on' : 'CloudWatch prefilter on for the lateness sweeps';
      log.info({ filterPattern: pattern ?? null }, pattern ? where : 'the policy compiles to no useful prefilter: every read moves every event');
    }
    const filterPattern = prefilter === 'all' ? pattern : undefined;
    const sweepFilterPattern = mode.kind === 'tail' ? pattern : undefined;
    return new CloudWatchSource({ settings: s, client, stats, clock, mode, filterPattern, sweepFilterPattern, ...ctx });
  },
} satisfies ComponentKind<CloudWatchSettings, CloudWatchSource> & { create: unknown };

export { CloudWatchSource } from './cloudwatch-source.js';
export { createRequestBudget } from './request-budget.js';
export type { CloudWatchPosition } from './position.js';
