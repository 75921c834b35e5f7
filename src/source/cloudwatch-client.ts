import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import type { RequestBudget } from './request-budget.js';

export interface CloudWatchClientOptions {
  region: string;
  budget: RequestBudget;
  /** Explicit keys (from the cluster's Secret); otherwise the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Called after every HTTP attempt, for metrics. */
  onAttempt?: (outcome: { throttled: boolean; status?: number }) => void;
}

/**
 * A CloudWatch Logs client whose every HTTP attempt spends the shared request budget.
 * The endpoint comes from the SDK's own AWS_ENDPOINT_URL_CLOUDWATCH_LOGS / AWS_ENDPOINT_URL.
 */
export function createCloudWatchClient(opts: CloudWatchClientOptions): CloudWatchLogsClient {
  const client = new CloudWatchLogsClient({
    region: opts.region,
    credentials: opts.credentials,
    // The SDK retries throttling, 5xx and timeouts with jittered backoff; the reader's own
    // retry loop takes over once the SDK's attempts or retry quota are spent.
    retryMode: 'standard',
    maxAttempts: 4,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
  });
  client.middlewareStack.addRelativeTo(
    (next: FinalizeHandler<object, MetadataBearer>) => async (args: FinalizeHandlerArguments<object>) => {
      const sending = await opts.budget.take();
      sending();
      try {
        const result = await next(args);
        opts.onAttempt?.({ throttled: false, status: (result.response as { statusCode?: number }).statusCode });
        return result;
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        opts.onAttempt?.({ throttled: e.name === 'ThrottlingException', status: e.$metadata?.httpStatusCode });
        throw err;
      }
    },
    { name: 'requestBudget', relation: 'after', toMiddleware: 'retryMiddleware' },
  );
  return client;
}
