import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createCloudWatchClient } from '../../../src/source/cloudwatch/client.js';
import { createRequestBudget } from '../../../src/source/cloudwatch/request-budget.js';

/** A loopback endpoint that answers every FilterLogEvents with an empty last page and records arrivals. */
async function recorder(): Promise<{ url: string; arrivals: number[]; close(): Promise<void> }> {
  const arrivals: number[] = [];
  const server = http.createServer((req, res) => {
    arrivals.push(performance.now());
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ events: [], searchedLogStreams: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('CloudWatch client and the request budget', () => {
  const saved = process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS;
  afterEach(() => {
    process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS = saved;
  });

  // Between taking its slot and reaching the wire a request is signed (async hashing) and may
  // wait behind other work on the event loop; the next one must be spaced from when it left.
  it('spaces requests on the wire even when one is held up after taking its slot', async () => {
    const server = await recorder();
    process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS = server.url;
    const budget = createRequestBudget(5);
    const client = createCloudWatchClient({ region: 'us-west-2', budget, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' } });
    let first = true;
    client.middlewareStack.addRelativeTo(
      (next: FinalizeHandler<object, MetadataBearer>) => async (args: FinalizeHandlerArguments<object>) => {
        if (first) {
          first = false;
          await sleep(300);
        }
        return next(args);
      },
      { name: 'holdUpTheFirstAttempt', relation: 'after', toMiddleware: 'requestBudget' },
    );
    try {
      await Promise.all(Array.from({ length: 7 }, () => client.send(new FilterLogEventsCommand({ logGroupName: '/aws/eks/x/cluster', limit: 10 }))));
    } finally {
      client.destroy();
      await server.close();
    }
    expect(server.arrivals).toHaveLength(7);
    expect(budget.spent).toBe(7);
    for (const start of server.arrivals) expect(server.arrivals.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(5);
  });
});
