// Vitest globalSetup: real LocalStack (CloudWatch Logs) and Elasticsearch for the whole run.
// Reuses services named in the environment (e.g. after `eval "$(npm run -s services:up)"`),
// otherwise starts a private pair and stops it at the end.
// In a test file: `const { ELASTIC_URL } = inject('services')` (inject from 'vitest').
import type { TestProject } from 'vitest/node';
import { servicesEnv, startServices, type ServicesEnv } from '../scripts/services/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServicesEnv;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const { ELASTIC_URL, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS } = process.env;
  let stop: (() => Promise<void>) | undefined;
  let env: ServicesEnv;
  if (ELASTIC_URL && AWS_ENDPOINT_URL_CLOUDWATCH_LOGS) {
    env = servicesEnv(AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, ELASTIC_URL);
    // Keep a region/credentials the caller chose; LocalStack accepts any.
    env.AWS_REGION = process.env.AWS_REGION ?? env.AWS_REGION;
    env.AWS_ACCESS_KEY_ID = process.env.AWS_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID;
    env.AWS_SECRET_ACCESS_KEY = process.env.AWS_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY;
  } else {
    const services = await startServices();
    env = services.env;
    stop = services.stop;
  }
  // Workers are forked after globalSetup, so they inherit these too.
  Object.assign(process.env, env);
  project.provide('services', env);
  return stop;
}
