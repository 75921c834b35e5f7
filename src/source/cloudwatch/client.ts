import { AsyncLocalStorage } from 'node:async_hooks';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import type { BudgetSlot, RequestBudget } from './request-budget.js';

export interface CloudWatchClientOptions {
  region: string;
  budget: RequestBudget;
  /** Explicit keys (from the cluster's Secret); otherwise the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Called after every HTTP attempt, for metrics. */
  onAttempt?: (outcome: { throttled: boolean; status?: number }) => void;
  /** Called with the `Date` header of every answer (AWS's clock). */
  onDate?: (date: string | undefined) => void;
}

/**
 * The budget slot of the HTTP attempt in progress: taken before the SDK signs (so a request
 * that queued for long is still signed fresh) and marked sent by the HTTP handler as it goes on
 * the wire (so a request held up in between, by async signing or a busy event loop, cannot
 * leave two requests closer together than the budget allows).
 */
const attemptSlot = new AsyncLocalStorage<BudgetSlot>();

class BudgetedHttpHandler extends NodeHttpHandler {
  override async handle(...[request, options = {}]: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    if (!options.abortSignal?.aborted) attemptSlot.getStore()?.send();
    return super.handle(request, options);
  }
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
    requestHandler: new BudgetedHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
  });
  client.middlewareStack.addRelativeTo(
    (next: FinalizeHandler<object, MetadataBearer>) => async (args: FinalizeHandlerArguments<object>) => {
      const slot = await opts.budget.take();
      try {
        const result = await attemptSlot.run(slot, () => next(args));
        const response = result.response as { statusCode?: number; headers?: Record<string, string> };
        opts.onAttempt?.({ throttled: false, status: response.statusCode });
        opts.onDate?.(response.headers?.date);
        return result;
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; $response?: { headers?: Record<string, string> } };
        opts.onDate?.(e.$response?.headers?.date);
        opts.onAttempt?.({ throttled: e.name === 'ThrottlingException', status: e.$metadata?.httpStatusCode });
        throw err;
      } finally {
        slot.release(); // an attempt that failed before the wire must not hold the queue
      }
    },
    { name: 'requestBudget', relation: 'after', toMiddleware: 'retryMiddleware' },
  );
  return client;
}
