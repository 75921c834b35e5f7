import { CloudWatchLogsClient, DescribeSubscriptionFiltersCommand, PutSubscriptionFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { compileFilterPattern } from '../cloudwatch/filter-pattern.js';
import type { AuditPolicy } from '../../transform/policy.js';
import { createKinesisClient, streamRef } from './client.js';
import type { KinesisSettings } from './settings.js';

/** What an event cut at CloudWatch's size limit carries: it is no longer JSON, so a JSON pattern misses it. */
export const TRUNCATED_PATTERN = '"[Truncated...]"';
/** CloudWatch Logs allows this many subscription filters per log group. */
export const MAX_SUBSCRIPTION_FILTERS = 2;

export interface PlannedFilter {
  filterName: string;
  filterPattern: string;
}

/**
 * The subscription filters of one log group: the policy's pattern (a safe superset of what it
 * keeps) and a second one for cut-off events, or a single empty pattern (everything) when the
 * policy compiles to none or the prefilter is off. Pure.
 */
export function plannedFilters(policy: AuditPolicy, name: string, prefilter: boolean): PlannedFilter[] {
  const pattern = prefilter ? compileFilterPattern(policy) : undefined;
  if (pattern === undefined) return [{ filterName: name, filterPattern: '' }];
  return [
    { filterName: name, filterPattern: pattern },
    { filterName: `${name}-truncated`, filterPattern: TRUNCATED_PATTERN },
  ];
}

export interface SetupOptions {
  settings: KinesisSettings;
  policy: AuditPolicy;
  groups: readonly string[];
  /** The role CloudWatch Logs assumes to write into the stream (or, with `destinationArn`, none). */
  roleArn?: string;
  /** A cross-account CloudWatch Logs destination in front of the stream, instead of the stream itself. */
  destinationArn?: string;
  filterName: string;
  prefilter: boolean;
}

/** Creates (or updates) the subscription filters of each log group; refuses where they would not fit beside other filters. */
export async function setupSubscription(o: SetupOptions): Promise<{ group: string; filters: PlannedFilter[]; destinationArn: string }[]> {
  const logs = new CloudWatchLogsClient({ region: o.settings.region, credentials: o.settings.awsCredentials });
  const kinesis = createKinesisClient({ region: o.settings.region, credentials: o.settings.awsCredentials });
  try {
    const destinationArn = o.destinationArn ?? (await kinesis.send(new DescribeStreamSummaryCommand(streamRef(o.settings.stream)))).StreamDescriptionSummary!.StreamARN!;
    const planned = plannedFilters(o.policy, o.filterName, o.prefilter);
    const out = [];
    for (const group of o.groups) {
      const existing = (await logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName: group }))).subscriptionFilters ?? [];
      const others = existing.filter((f) => !planned.some((p) => p.filterName === f.filterName));
      if (others.length + planned.length > MAX_SUBSCRIPTION_FILTERS) {
        throw new Error(
          `log group ${group} has subscription filter(s) ${others.map((f) => f.filterName).join(', ')}; ${planned.length} more would exceed the ${MAX_SUBSCRIPTION_FILTERS} CloudWatch allows` +
            (planned.length > 1 ? ' (--no-prefilter needs one)' : ''),
        );
      }
      for (const f of planned) {
        // Already in place: nothing to write (an update of a group's second filter is refused by some emulators).
        if (existing.some((e) => e.filterName === f.filterName && (e.filterPattern ?? '') === f.filterPattern && e.destinationArn === destinationArn)) continue;
        // ByLogStream (AWS's default, said explicitly): a log stream's events and their duplicates stay in one shard.
        await logs.send(new PutSubscriptionFilterCommand({ logGroupName: group, filterName: f.filterName, filterPattern: f.filterPattern, destinationArn, roleArn: o.destinationArn ? undefined : o.roleArn, distribution: 'ByLogStream' }));
      }
      out.push({ group, filters: planned, destinationArn });
    }
    return out;
  } finally {
    logs.destroy();
    kinesis.destroy();
  }
}
