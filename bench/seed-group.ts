import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { expectedDocuments } from '../localstack/expected.js';
import { generateScenario, type Scenario, type ScenarioOptions } from '../localstack/scenario.js';
import { seedScenario } from '../localstack/seed.js';

/** Everything needed to regenerate a seeded group byte for byte (the generator is pure). */
export type GroupSpec = Required<Pick<ScenarioOptions, 'cluster' | 'seed' | 'events' | 'startMs' | 'spanMs' | 'auditStreams' | 'mutationShare' | 'payloadBytes'>>;

export interface SeededGroup {
  spec: GroupSpec;
  scenario: Scenario;
  /** Audit documents the default policy keeps (what the forwarder must index). */
  expectedDocs: number;
  /** Events of all streams, audit and others, and their message bytes. */
  allEvents: number;
  allBytes: number;
  auditBytes: number;
  seedSeconds: number | undefined;
}

/** A group of `events` audit events spread over the hour before now (a busy EKS cluster's hour). */
export function groupSpec(cluster: string, o: { events: number; streams: number; mutationShare: number; payloadBytes: number; seed: number }): GroupSpec {
  const spanMs = 60 * 60_000;
  const startMs = Date.now() - 2 * 60_000 - spanMs;
  return { cluster, seed: o.seed, events: o.events, startMs, spanMs, auditStreams: o.streams, mutationShare: o.mutationShare, payloadBytes: o.payloadBytes };
}

/** Generates the scenario of a spec and, unless `seed` is false, writes it into CloudWatch Logs. */
export async function prepareGroup(client: CloudWatchLogsClient, spec: GroupSpec, seed: boolean): Promise<SeededGroup> {
  const scenario = generateScenario({ ...spec, otherStreams: true });
  let seedSeconds: number | undefined;
  if (seed) {
    const t0 = performance.now();
    // Streams in parallel: LocalStack handles PutLogEvents one at a time anyway, so 4 is plenty.
    await seedScenario(client, scenario, { concurrency: 4 });
    seedSeconds = (performance.now() - t0) / 1000;
  }
  let allEvents = 0;
  let allBytes = 0;
  let auditBytes = 0;
  for (const s of scenario.streams) {
    for (const e of s.events) {
      allEvents += 1;
      allBytes += e.message.length;
      if (s.audit) auditBytes += e.message.length;
    }
  }
  return { spec, scenario, expectedDocs: expectedDocuments(scenario).expected.size, allEvents, allBytes, auditBytes, seedSeconds };
}

/** The window a forwarder reads to get the whole group (FilterLogEvents bounds are inclusive). */
export function groupWindow(spec: GroupSpec): { from: number; to: number } {
  return { from: spec.startMs - 1_000, to: spec.startMs + spec.spanMs + 1_000 };
}

// --skip-seed: the state file names the group seeded last time and the emulator it lives in
// (LocalStack keeps it in memory, so it is only there while the same services run).
interface StateFile {
  cloudwatch: string;
  main: GroupSpec;
}

export function saveState(dir: string, cloudwatch: string, main: GroupSpec): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'seeded-group.json');
  writeFileSync(file, `${JSON.stringify({ cloudwatch, main } satisfies StateFile, null, 2)}\n`);
  return file;
}

export function loadState(dir: string, cloudwatch: string): GroupSpec {
  const file = path.join(dir, 'seeded-group.json');
  let state: StateFile;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as StateFile;
  } catch {
    throw new Error(`--skip-seed: no state file ${file}; run once without --skip-seed, with services kept up by 'set -a; eval "$(npm run -s services:up)"; set +a'`);
  }
  if (state.cloudwatch !== cloudwatch) {
    throw new Error(`--skip-seed: ${file} names a group seeded into ${state.cloudwatch}, not ${cloudwatch} (LocalStack keeps logs in memory only)`);
  }
  return state.main;
}
