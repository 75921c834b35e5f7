import { CloudWatchLogsClient, FilterLogEventsCommand, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import { AUDIT_STREAM_PREFIX } from '../localstack/scenario.js';
import { startCountingProxy, type CallStats } from './cloudwatch-proxy.js';

export interface ReadCeiling {
  /** The FilterLogEvents `limit` used for every page. */
  pageLimit: number;
  /** Whether the service honoured logStreamNamePrefix (LocalStack's moto does not). */
  prefixHonoured: boolean;
  seconds: number;
  /** Audit events read (the unit every throughput in the report is counted in). */
  auditEvents: number;
  /** All events the service returned, other streams included, and their message bytes. */
  events: number;
  bytes: number;
  eventsPerSecond: number;
  mbPerSecond: number;
  calls: CallStats;
}

/** The SDK client the bench reads with: no request budget, nothing but the SDK's own defaults. */
export function plainClient(endpoint: string): CloudWatchLogsClient {
  return new CloudWatchLogsClient({ endpoint, region: 'us-west-2', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

/**
 * The page limit the forwarder settles on: it sizes pages to ~1 MB from the mean size of what
 * the service returns (src/source/log-pages.ts), which includes other streams' events when the
 * service ignores the prefix. A probe call tells which is the case.
 */
export async function forwarderPageLimit(
  cloudwatch: string,
  group: string,
  sizes: { auditEvents: number; auditBytes: number; allEvents: number; allBytes: number },
): Promise<{ pageLimit: number; prefixHonoured: boolean }> {
  const client = plainClient(cloudwatch);
  try {
    const probe = await client.send(new FilterLogEventsCommand({ logGroupName: group, logStreamNamePrefix: AUDIT_STREAM_PREFIX, limit: 500 }));
    const prefixHonoured = (probe.events ?? []).every((e) => e.logStreamName?.startsWith(AUDIT_STREAM_PREFIX));
    const mean = prefixHonoured ? sizes.auditBytes / sizes.auditEvents : sizes.allBytes / sizes.allEvents;
    return { pageLimit: Math.min(10_000, Math.max(50, Math.round(1_000_000 / Math.max(100, mean)))), prefixHonoured };
  } finally {
    client.destroy();
  }
}

/** Plain SDK paging of the whole window, no processing: what the emulator can deliver. */
export async function measureRead(
  cloudwatch: string,
  group: string,
  window: { from: number; to: number },
  limit: { pageLimit: number; prefixHonoured: boolean },
): Promise<ReadCeiling> {
  const proxy = await startCountingProxy(cloudwatch);
  const client = plainClient(proxy.url);
  try {
    let events = 0;
    let auditEvents = 0;
    let bytes = 0;
    const t0 = performance.now();
    const pages = paginateFilterLogEvents(
      { client, pageSize: limit.pageLimit },
      { logGroupName: group, logStreamNamePrefix: AUDIT_STREAM_PREFIX, startTime: window.from, endTime: window.to },
    );
    for await (const page of pages) {
      for (const e of page.events ?? []) {
        events += 1;
        bytes += e.message?.length ?? 0;
        if (e.logStreamName?.startsWith(AUDIT_STREAM_PREFIX)) auditEvents += 1;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      ...limit,
      seconds,
      auditEvents,
      events,
      bytes,
      eventsPerSecond: auditEvents / seconds,
      mbPerSecond: bytes / 1e6 / seconds,
      calls: proxy.stats(),
    };
  } finally {
    client.destroy();
    await proxy.close();
  }
}
