import { readFileSync } from 'node:fs';
import { Client } from '@elastic/elasticsearch';
import type { ElasticsearchSettings } from './settings.js';
import { ConfigError } from '../../config/errors.js';

export function createElasticClient(settings: ElasticsearchSettings): Client {
  let ca: Buffer | undefined;
  if (settings.caFile) {
    try {
      ca = readFileSync(settings.caFile);
    } catch (err) {
      throw new ConfigError('ELASTIC_CA', `cannot read CA bundle ${settings.caFile}: ${(err as Error).message}`);
    }
  }
  return new Client({
    node: settings.node,
    auth: settings.auth,
    tls: { ca, rejectUnauthorized: settings.sslVerify },
    // Transport retries cover a dropped connection; the bulk writer's own loop covers outages.
    maxRetries: 2,
    requestTimeout: 60_000,
    compression: false,
  });
}
