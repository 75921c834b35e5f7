// Start both test services at once (installing them first if needed).
import { log, type Service, type StartOptions } from './cache.js';
import * as elasticsearch from './elasticsearch.js';
import * as localstack from './localstack.js';

export interface ServicesEnv {
  AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: string;
  ELASTIC_URL: string;
  AWS_REGION: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
}

export function servicesEnv(cloudwatchUrl: string, elasticUrl: string): ServicesEnv {
  return {
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cloudwatchUrl,
    ELASTIC_URL: elasticUrl,
    AWS_REGION: 'us-west-2',
    // LocalStack accepts any credentials; these keep the SDK from looking for real ones.
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
}

export interface RunningServices {
  env: ServicesEnv;
  localstack: Service;
  elasticsearch: Service;
  stop(): Promise<void>;
}

export async function installServices(): Promise<void> {
  await Promise.all([localstack.install(), elasticsearch.install()]);
}

export async function startServices(opts: StartOptions = {}): Promise<RunningServices> {
  const [ls, es] = await Promise.allSettled([localstack.start(opts), elasticsearch.start(opts)]);
  if (ls.status === 'rejected' || es.status === 'rejected') {
    // Do not leave the one that did start running.
    await Promise.all([ls, es].map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw ls.status === 'rejected' ? ls.reason : (es as PromiseRejectedResult).reason;
  }
  return {
    env: servicesEnv(ls.value.url, es.value.url),
    localstack: ls.value,
    elasticsearch: es.value,
    async stop() {
      log('stopping LocalStack and Elasticsearch');
      await Promise.all([ls.value.stop(), es.value.stop()]);
    },
  };
}
