import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { expectedDocuments } from '../../localstack/expected.js';
import { generateScenario, type Scenario } from '../../localstack/scenario.js';
import { seedScenario } from '../../localstack/seed.js';

export function cloudwatchClient(): CloudWatchLogsClient {
  return new CloudWatchLogsClient({
    region: process.env.AWS_REGION ?? 'us-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/** A cluster name no other test uses, so tests share the services without seeing each other. */
export function uniqueCluster(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export interface SeededCluster {
  cluster: string;
  scenario: Scenario;
  /** Document ids (dedup keys) the default policy selects. */
  expected: Set<string>;
  /** Audit-stream events that are not audit events (truncated ...), as `${stream}/${eventId}`-less raw messages. */
  invalidMessages: string[];
  window: { from: number; to: number };
  env: Record<string, string>;
}

/** Generates and seeds a cluster, and computes what the forwarder should index from it. */
export async function seedCluster(opts: {
  prefix: string;
  events: number;
  seed: number;
  truncated?: number;
  auditStreams?: number;
  startMs?: number;
  spanMs?: number;
}): Promise<SeededCluster> {
  const cluster = uniqueCluster(opts.prefix);
  const spanMs = opts.spanMs ?? 30 * 60_000;
  const startMs = opts.startMs ?? Date.now() - 2 * 60 * 60_000;
  const scenario = generateScenario({
    cluster,
    seed: opts.seed,
    events: opts.events,
    startMs,
    spanMs,
    auditStreams: opts.auditStreams ?? 3,
    truncated: opts.truncated ?? 0,
  });
  const client = cloudwatchClient();
  try {
    await seedScenario(client, scenario);
  } finally {
    client.destroy();
  }
  const { expected, invalidMessages } = expectedDocuments(scenario);
  return {
    cluster,
    scenario,
    expected,
    invalidMessages,
    window: { from: startMs - 1_000, to: startMs + spanMs + 1_000 },
    env: forwarderEnv(scenario.logGroupName, cluster),
  };
}

export function forwarderEnv(logGroupName: string, cluster: string): Record<string, string> {
  return {
    AWS_REGION: process.env.AWS_REGION ?? 'us-west-2',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS!,
    ELASTIC_URL: process.env.ELASTIC_URL!,
    EKS_CLOUDWATCH_LOG_GROUP: logGroupName,
    ELASTIC_INDEX_SUFFIX: cluster,
    EKS_FORWARDER_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'eksfwd-state-')),
    // The emulator is local: a generous budget keeps the suite fast.
    EKS_FORWARDER_REQUESTS_PER_SECOND: '5',
  };
}

export const auditIndexPattern = (cluster: string) => `tigera_secure_ee_audit_kube.${cluster}.*`;
export const deadLetterIndex = (cluster: string) => `eks-log-forwarder-deadletter.${cluster}`;
