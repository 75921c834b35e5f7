import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';

export interface KinesisClientOptions {
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Called after every HTTP attempt that the stream throttled, for metrics. */
  onThrottle?: () => void;
}

/**
 * A Kinesis client. The SDK's standard retry strategy backs off (jittered, exponential) on
 * ProvisionedThroughputExceededException, 5xx and timeouts; the shard reader's own back-off
 * takes over once its attempts are spent. The endpoint comes from the SDK's own
 * AWS_ENDPOINT_URL_KINESIS / AWS_ENDPOINT_URL.
 */
export function createKinesisClient(opts: KinesisClientOptions): KinesisClient {
  const client = new KinesisClient({
    region: opts.region,
    credentials: opts.credentials,
    retryMode: 'standard',
    maxAttempts: 4,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
  });
  client.middlewareStack.addRelativeTo(
    (next: FinalizeHandler<object, MetadataBearer>) => async (args: FinalizeHandlerArguments<object>) => {
      try {
        return await next(args);
      } catch (err) {
        const name = (err as { name?: string }).name;
        if (name === 'ProvisionedThroughputExceededException' || name === 'LimitExceededException') opts.onThrottle?.();
        throw err;
      }
    },
    { name: 'throttleCounter', relation: 'after', toMiddleware: 'retryMiddleware' },
  );
  return client;
}

/** The stream as the API takes it: a name or an ARN. */
export function streamRef(stream: string): { StreamName?: string; StreamARN?: string } {
  return stream.startsWith('arn:') ? { StreamARN: stream } : { StreamName: stream };
}
