import { parseArgs } from 'node:util';
import { SET_MINUTES, SET_RATE } from './measure-set-memory.js';

export interface BenchOptions {
  /** Audit events in the main group. */
  events: number;
  /** `kube-apiserver-audit-*` streams in the main group. */
  streams: number;
  mutationShare: number;
  payloadBytes: number;
  seed: number;
  /** Reuse the group named in the state file instead of seeding one. */
  skipSeed: boolean;
  quick: boolean;
  /** Also compare the memory of 10,000 and 1,000,000 events from the synthetic FilterLogEvents source. */
  scale: boolean;
  /** `backfill --slices` passed to the forwarder. */
  slices: number;
  /** Audit events per second put during the latency phase, and for how long. */
  latencyRate: number;
  latencySeconds: number;
  /** Live phase: audit events per second put, and for how many minutes (the sweeps then need ~20 more). */
  liveRate: number;
  liveMinutes: number;
  /** linseed-set phase: documents a second already stored, and over how many minutes (the delivered set reads them all back). */
  setRate: number;
  setMinutes: number;
  /** push phase: replica counts to run over the stream's shards (default 1,2,4), the shards (default 4), and audit events per subscription record (default 50). */
  pushReplicas: number[];
  /** push phase: audit events in the stream (default 200,000 with --quick, else 1,000,000). */
  pushEvents: number;
  pushShards: number;
  pushRecordEvents: number;
  /** push-latency phase: replicas sharing the shards (default 2), and their EKS_FORWARDER_KINESIS_IDLE_POLL in ms (default: the forwarder's, 500 ms). */
  pushLatencyReplicas: number;
  pushIdlePollMs?: number;
  /** Phases to leave out (comma separated: read,warmup,write,heavy,build,backfill,backfill2,tsx,run,memory,scale,verify-scale,prefilter,slices,linseed,linseed-set,idle,latency,live,otel,push,push-latency). */
  skip: Set<string>;
  /** node's flags for the forwarder processes (e.g. --max-old-space-size=96, --cpu-prof), to try V8 settings or profile. */
  nodeArgs: string[];
  /** Only re-render latest.md/svg from this results JSON. */
  rerender?: string;
}

const USAGE = `npm run bench -- [--quick] [--events N] [--streams N] [--mutation-share X] [--payload-bytes N]
                 [--seed N] [--skip-seed] [--scale] [--slices N] [--latency-rate N] [--latency-seconds N]
                 [--live-rate N] [--live-minutes N] [--set-rate N] [--set-minutes N]
                 [--push-events N] [--push-replicas 1,2,4] [--push-shards N] [--push-record-events N] [--push-latency-replicas N] [--push-idle-poll MS]
                 [--node-args='--max-old-space-size=96 --cpu-prof'] [--rerender results/<file>.json]
                 [--skip read,warmup,write,heavy,build,backfill,backfill2,tsx,run,memory,scale,verify-scale,prefilter,slices,linseed,linseed-set,idle,latency,live,otel,push,push-latency]`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' },
      streams: { type: 'string', default: '8' },
      'mutation-share': { type: 'string', default: '0.15' },
      'payload-bytes': { type: 'string', default: '4096' },
      seed: { type: 'string', default: '1' },
      'skip-seed': { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      scale: { type: 'boolean', default: false },
      slices: { type: 'string', default: '1' },
      'latency-rate': { type: 'string', default: '100' },
      'latency-seconds': { type: 'string' },
      'live-rate': { type: 'string', default: '15' },
      'live-minutes': { type: 'string' },
      'set-rate': { type: 'string' },
      'set-minutes': { type: 'string' },
      'push-events': { type: 'string' },
      'push-replicas': { type: 'string', default: '1,2,4' },
      'push-shards': { type: 'string', default: '4' },
      'push-record-events': { type: 'string', default: '50' },
      'push-latency-replicas': { type: 'string', default: '2' },
      'push-idle-poll': { type: 'string' },
      skip: { type: 'string', default: '' },
      rerender: { type: 'string' },
      'node-args': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick!;
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${v}"\n${USAGE}`);
    return n;
  };
  const share = Number(values['mutation-share']);
  if (!(share >= 0 && share <= 1)) throw new Error(`--mutation-share must be in [0, 1]\n${USAGE}`);
  return {
    events: int('events', values.events ?? (quick ? '20000' : '200000'), 1000),
    streams: int('streams', values.streams, 1),
    mutationShare: share,
    payloadBytes: int('payload-bytes', values['payload-bytes'], 64),
    seed: int('seed', values.seed, 0),
    skipSeed: values['skip-seed']!,
    quick,
    scale: values.scale!,
    slices: int('slices', values.slices, 1),
    latencyRate: int('latency-rate', values['latency-rate'], 1),
    latencySeconds: int('latency-seconds', values['latency-seconds'] ?? (quick ? '15' : '30'), 5),
    liveRate: int('live-rate', values['live-rate'], 1),
    liveMinutes: int('live-minutes', values['live-minutes'] ?? (quick ? '3' : '6'), 2),
    // The figure seeds 1.8M documents first; --quick only shows the phase works.
    setRate: int('set-rate', values['set-rate'] ?? (quick ? '100' : String(SET_RATE)), 1),
    setMinutes: int('set-minutes', values['set-minutes'] ?? (quick ? '5' : String(SET_MINUTES)), 1),
    pushReplicas: values['push-replicas']!.split(',').map((x) => int('push-replicas', x.trim(), 1)),
    pushEvents: int('push-events', values['push-events'] ?? (quick ? '200000' : '1000000'), 1000),
    pushShards: int('push-shards', values['push-shards'], 1),
    pushRecordEvents: int('push-record-events', values['push-record-events'], 1),
    pushLatencyReplicas: int('push-latency-replicas', values['push-latency-replicas'], 1),
    pushIdlePollMs: values['push-idle-poll'] === undefined ? undefined : int('push-idle-poll', values['push-idle-poll'], 1),
    rerender: values.rerender,
    nodeArgs: (values['node-args'] ?? '').split(/\s+/).filter(Boolean),
    skip: new Set(values.skip!.split(',').map((s) => s.trim()).filter(Boolean)),
  };
}
