import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedDocuments } from '../../localstack/expected.js';
import { generateScenario } from '../../localstack/scenario.js';
import { compilePolicy, DEFAULT_POLICY } from '../../src/transform/policy.js';
import { transformBatch } from '../../src/transform/transform-batch.js';
import { planArrivals, type Arrival, type ArrivalPattern } from '../support/arrival-patterns.js';
import { readRunCheckpoint, runCli, startCli, type RunningCli } from '../support/cli.js';
import { startCloudWatchEmulator, type CloudWatchEmulator, type ServedCall } from '../support/cloudwatch-emulator.js';
import { docCount, elasticClient, eventually, idDiff, keyDiff } from '../support/elastic.js';
// Seeded, so a failing run replays with the same arrivals and the same kill choices.
import { prng } from '../support/fault-proxy.js';
import { startLinseedWorld, throughLinseed, type LinseedWorld } from '../support/linseed.js';
import { auditIndexPattern, deadLetterIndex, forwarderEnv, uniqueCluster } from '../support/scenario.js';

// Lateness scaled down (the README's 2m / 15m): the floor and ceiling the forwarder runs with.
const FLOOR_MS = 2_000;
const CEILING_MS = 12_000;
/** Timestamps of the scenario span this long; the last arrivals come up to ~0.95 x the ceiling later. */
const SPAN_MS = 90_000;
const EVENTS = 1_350;
/**
 * SIGKILLs go on this long from the first timestamp (and until MIN_KILLS): over the head, both
 * sweeps and every pattern. The rest of the span runs undisturbed, so that arrivals also meet a
 * forwarder that has caught up, the head near AWS's now: each process takes seconds to load, and
 * a forwarder killed every few seconds lags enough that its head reads much late data late.
 */
const KILL_PHASE_MS = 65_000;
/** Small pages, so windows (a flush above all) take several pages and a kill can land between two. */
const PAGE_LIMIT = 50;
const MIN_KILLS = 20;

type KillMode = 'start-up' | 'running' | 'calm' | 'mid-window' | 'mid-sweep';

/** The run checkpoint's CloudWatch position, as `status` shows it (src/source/cloudwatch/position.ts). */
interface Position {
  windowEnd?: number;
  sweep?: number;
  nextToken?: string;
  readUpTo?: number;
  sweptUpTo?: Record<string, number>;
}

// Into Elasticsearch (ids from the dedup key: a replay overwrites) and through Linseed (no ids:
// the sink's delivered set and read backs must keep every replay out).
describe.each(['elasticsearch', 'linseed'] as const)('chaos: SIGKILLs while events arrive in every late pattern under the ceiling (FilterLogEvents emulator), into %s', (sink) => {
  let es: Client;
  let cw: CloudWatchEmulator;
  let world: LinseedWorld | undefined;
  /** The one served-call trigger a kill waits for, if any. */
  let trigger: { matches: (c: ServedCall) => boolean; fire: (c: ServedCall) => void } | undefined;
  /** When each FilterLogEvents call was answered. */
  const servedAt: number[] = [];
  beforeAll(async () => {
    es = elasticClient();
    if (sink === 'linseed') world = await startLinseedWorld();
    cw = await startCloudWatchEmulator({
      onServed: (c) => {
        servedAt.push(c.at);
        if (trigger?.matches(c)) {
          const t = trigger;
          trigger = undefined;
          t.fire(c);
        }
      },
    });
  });
  afterAll(async () => {
    await es.close();
    await cw.close();
    await world?.close();
  });

  /** The next FilterLogEvents answer that `matches`, or undefined when none comes before the deadline. */
  const nextServed = (matches: (c: ServedCall) => boolean, deadlineMs: number) =>
    new Promise<ServedCall | undefined>((resolve) => {
      const mine = {
        matches,
        fire: (c: ServedCall) => {
          clearTimeout(timer);
          resolve(c);
        },
      };
      const timer = setTimeout(() => {
        if (trigger === mine) trigger = undefined;
        resolve(undefined);
      }, deadlineMs);
      trigger = mine;
    });

  it('ends with exactly the expected documents: stalls and flushes, one stream stalled, old-only batches, slow drift', async () => {
    const seed = Number(process.env.CHAOS_SEED ?? 1010);
    const random = prng(seed);
    const started = Date.now();
    const cluster = uniqueCluster('chaosarr');
    const t0 = Date.now() + 3_000;

    // What the API servers wrote (timestamps from t0 on; more mutations than the default, so more
    // of the events are documents the policy keeps), then when CloudWatch got each event.
    const scenario = generateScenario({ cluster, seed, events: EVENTS, startMs: t0, spanMs: SPAN_MS, auditStreams: 5, mutationShare: 0.4 });
    const plan = planArrivals(scenario, random, { t0, spanMs: SPAN_MS, floorMs: FLOOR_MS, ceilingMs: CEILING_MS });
    const group = scenario.logGroupName;
    const audit = plan.arrivals.filter((a) => a.audit);

    // The ids the project's own policy and key give the scenario; and which arrival each is, to
    // tell the pattern of anything lost.
    const expected = expectedDocuments(scenario);
    const arrivalOf = new Map<string, Arrival>();
    const policy = compilePolicy(DEFAULT_POLICY);
    for (const a of audit) {
      const source = { group, stream: a.stream, eventId: '', timestamp: a.timestamp, ingestionTime: a.ingestionTime, message: a.message };
      for (const r of transformBatch([source], { policy }).records) if (r.kind === 'audit') arrivalOf.set(r.key, a);
    }
    // The premise: every event is promised (ingested less than the ceiling after its timestamp),
    // and documents arrive in every pattern.
    expect(Math.max(...plan.arrivals.map((a) => a.ingestionTime - a.timestamp))).toBeLessThan(CEILING_MS);
    const byPattern = countBy([...arrivalOf.values()], (a) => a.pattern);
    for (const p of ['flow', 'all-stalled', 'stream-stalled', 'old-batch', 'old-only-stream', 'drifting'] satisfies ArrivalPattern[]) {
      expect(byPattern.get(p) ?? 0, `documents arriving as ${p}`).toBeGreaterThan(0);
    }
    // Each becomes visible in the emulator at its ingestion time.
    for (const a of plan.arrivals) cw.put(group, a.stream, [{ timestamp: a.timestamp, ingestionTime: a.ingestionTime, message: a.message }]);
    const lastTimestamp = Math.max(...audit.map((a) => a.timestamp));

    const toElasticsearch: Record<string, string> = {
      ...forwarderEnv(group, cluster),
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cw.url,
      EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1',
      EKS_FORWARDER_LATENESS_FLOOR: `${FLOOR_MS / 1000}s`,
      EKS_FORWARDER_LATENESS_CEILING: `${CEILING_MS / 1000}s`,
      EKS_FORWARDER_PAGE_LIMIT: String(PAGE_LIMIT),
      EKS_FORWARDER_START_FROM: new Date(t0 - 1_000).toISOString(),
    };
    const env = world ? throughLinseed(toElasticsearch, world, cluster) : toElasticsearch;
    const stateDir = env.EKS_FORWARDER_STATE_DIR!;
    const checkpoint = () => readRunCheckpoint(stateDir) as Position | undefined;

    // Kill at seeded moments: during start-up, while running, between two pages of a head window
    // or of a sweep.
    const killUntil = t0 + KILL_PHASE_MS;
    const kills: KillMode[] = [];
    const left = { token: 0, sweep: 0, between: 0, none: 0 };
    let unexpectedExits = 0;
    let fallbacks = 0;
    let faultsInjected = 0;
    // Its own sequence, so the kills and arrivals of a seed are the same through either sink.
    const faultRandom = prng(seed + 1);
    /** How far the head had read (the checkpoint's readUpTo), and when: at each kill and while catching up. */
    const headSeen: { at: number; readUpTo: number }[] = [];
    const lagAtKills: number[] = [];
    // Looked at a few times a second (a measurement, not a wait): a saved checkpoint may be read
    // as it is replaced, which counts as not seen.
    const watchHead = setInterval(() => {
      try {
        const cp = checkpoint();
        if (cp?.readUpTo !== undefined) headSeen.push({ at: Date.now(), readUpTo: cp.readUpTo });
      } catch {
        // between the write and the rename
      }
    }, 200);
    /** From each start to the process's first request, the time it takes to load (ms). */
    const loading: number[] = [];
    try {
      while (Date.now() < killUntil || kills.length < MIN_KILLS) {
        const roll = random();
        const mode: KillMode = roll < 0.12 ? 'start-up' : roll < 0.32 ? 'running' : roll < 0.47 ? 'calm' : roll < 0.75 ? 'mid-window' : 'mid-sweep';
        const delay = random();
        // Through Linseed, also its faults: a write that landed but whose answer is lost or a
        // 503, a read that fails; each process may meet one.
        if (world) {
          const fault = faultRandom();
          if (fault < 0.15) world.linseed.faults.timeoutAfterWrite(1, { mode: 'destroy' });
          else if (fault < 0.3) world.linseed.faults.failNext(1, { status: 503, route: 'bulk', afterWrite: true });
          else if (fault < 0.4) world.linseed.faults.failNext(1, { status: 503, route: 'read' });
          if (fault < 0.4) faultsInjected += 1;
        }
        const run = startCli(['run'], env);
        let exitedOnItsOwn = false;
        const exited = run.exited.then(() => (exitedOnItsOwn = true));
        const within = async (deadlineMs: number, matches: (c: ServedCall) => boolean) => {
          const c = await Promise.race([nextServed(matches, deadlineMs), exited.then(() => undefined)]);
          if (!c && !exitedOnItsOwn) fallbacks += 1;
          return c;
        };
        const spawned = Date.now();
        if (mode === 'start-up') {
          // Loading, reading the checkpoint, planning the first window.
          await Promise.race([sleep(150 + delay * 1_500), exited]);
        } else if (mode === 'running' || mode === 'calm') {
          // Anywhere once it is working: reading, writing, saving, waiting for the next poll. Or
          // after a calm stretch, long enough to catch up, so that arrivals find the head near
          // AWS's now and only a sweep can deliver them.
          await within(30_000, () => true);
          await Promise.race([sleep(mode === 'running' ? delay * 4_000 : 6_000 + delay * 8_000), exited]);
        } else if (mode === 'mid-window') {
          // A page was answered and the window has more: the forwarder is writing or saving it.
          await within(10_000, (c) => c.more);
          await Promise.race([sleep(delay * 120), exited]);
        } else {
          // The same, in a sweep (a window ending well behind AWS's now: older than the floor).
          await within(10_000, (c) => c.more && c.endTime !== undefined && c.endTime < c.at - FLOOR_MS - 1_000);
          await Promise.race([sleep(delay * 120), exited]);
        }
        trigger = undefined;
        if (exitedOnItsOwn) {
          unexpectedExits += 1;
          console.log('chaos-arrivals: the forwarder exited on its own', run.stderr().split('\n').slice(-10));
        }
        run.child.kill('SIGKILL');
        await run.exited;
        const first = servedAt.find((t) => t >= spawned);
        if (first !== undefined) loading.push(first - spawned);
        kills.push(mode);
        const cp = checkpoint();
        if (cp?.readUpTo !== undefined) {
          headSeen.push({ at: Date.now(), readUpTo: cp.readUpTo });
          lagAtKills.push(Date.now() - cp.readUpTo);
        }
        if (!cp) left.none += 1;
        else if (cp.windowEnd === undefined) left.between += 1;
        else if (cp.sweep !== undefined) left.sweep += 1;
        else if (cp.nextToken) left.token += 1;
        else left.between += 1;
        // Down for a moment, as a restarted pod is: arrivals pile up meanwhile.
        await sleep(random() * 500);
      }
    } finally {
      clearInterval(watchHead);
      world?.linseed.faults.reset();
    }

    // The last process: wait until it has read everything at every age (the head and both
    // sweeps past the last event), then stop it as an operator would.
    const final: RunningCli = startCli(['run'], env);
    let caughtUp: true | Error = true;
    try {
      await eventually(
        async () => {
          const cp = checkpoint();
          if (cp?.readUpTo !== undefined) headSeen.push({ at: Date.now(), readUpTo: cp.readUpTo });
          const swept = Object.values(cp?.sweptUpTo ?? {});
          return cp !== undefined && cp.windowEnd === undefined && (cp.readUpTo ?? -Infinity) >= lastTimestamp && swept.length >= 2 && swept.every((t) => t >= lastTimestamp);
        },
        'the head and both sweeps past the last event',
        150_000,
      );
      // The earlier processes may have done all the work: wait until this one has drained a window
      // itself, so the SIGTERM meets its handler rather than a process still loading.
      await eventually(async () => final.stderr().includes('"msg":"window drained"'), 'the last process draining a window', 30_000);
    } catch (err) {
      caughtUp = err as Error;
    }
    final.child.kill('SIGTERM');
    const finalExit = await final.exited;

    const diff = world ? await keyDiff(es, world.linseed.readPattern(cluster), expected.expected) : await idDiff(es, auditIndexPattern(cluster), expected.expected);
    // Documents whose event came in after the head had read past its timestamp: only a sweep can
    // have delivered them. Without some, the head read everything after it arrived and the run
    // proved nothing about late arrivals.
    const behindHead = [...arrivalOf].filter(([, a]) => headSeen.some((h) => a.timestamp <= h.readUpTo && a.ingestionTime > h.at));
    const missing = new Set(diff.missing);
    const elapsed = ((Date.now() - started) / 1000).toFixed(0);
    console.log(
      `chaos-arrivals (${sink}): seed ${seed}, ${faultsInjected} Linseed faults, ${kills.length} kills (${[...countBy(kills, (k) => k)].map(([k, n]) => `${k} ${n}`).join(', ')}; ${fallbacks} without their trigger), ` +
        `left mid-sweep ${left.sweep}, mid-window with a token ${left.token}, between windows ${left.between}, before a checkpoint ${left.none}; ` +
        `loading ${quantiles(loading)} s; head behind at the kills ${quantiles(lagAtKills)} s, at all ${quantiles(headSeen.map((h) => h.at - h.readUpTo))} s; ` +
        `${behindHead.length} documents arrived behind the head (${[...countBy(behindHead, ([, a]) => a.pattern)].map(([p, n]) => `${p} ${n}`).join(', ')}), ${behindHead.filter(([id]) => missing.has(id)).length} of them lost; ` +
        `${audit.length} audit events, ${expected.expected.size} documents expected (${[...byPattern].map(([p, n]) => `${p} ${n}`).join(', ')}); ` +
        `${cw.served.calls} calls; ${elapsed} s`,
    );
    if (diff.missing.length > 0 || diff.extra.length > 0 || diff.duplicated.length > 0) {
      const at = (id: string) => {
        const a = arrivalOf.get(id);
        return a ? { pattern: a.pattern, stream: a.stream.slice(-6), at: a.timestamp - t0, late: a.ingestionTime - a.timestamp } : { id };
      };
      console.log('chaos-arrivals: episodes', JSON.stringify(plan.episodes));
      console.log('chaos-arrivals: lost by pattern', Object.fromEntries(countBy(diff.missing, (id) => arrivalOf.get(id)?.pattern ?? 'unknown')));
      console.log('chaos-arrivals: lost', JSON.stringify(diff.missing.slice(0, 40).map(at)));
      console.log('chaos-arrivals: duplicated', JSON.stringify(diff.duplicated.slice(0, 20).map(([id, n]) => ({ ...at(id), n }))), 'extra', diff.extra.slice(0, 20));
      console.log('chaos-arrivals: last checkpoint', JSON.stringify(checkpoint()), final.stderr().split('\n').filter((l) => /sweep|skew|error|warn|beyond/i.test(l)).slice(-20));
    }
    expect({ missing: diff.missing.length, extra: diff.extra.length, duplicated: diff.duplicated.length, of: expected.expected.size }).toEqual({ missing: 0, extra: 0, duplicated: 0, of: expected.expected.size });
    expect(caughtUp).toBe(true);
    expect(finalExit).toBe(0);
    expect(unexpectedExits).toBe(0);
    expect(world ? spooled(stateDir) : await docCount(es, deadLetterIndex(cluster))).toBe(expected.invalidMessages.length);
    // The chaos reached what it is for: enough kills, some leaving a window half read.
    expect(kills.length).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(left.token + left.sweep).toBeGreaterThan(0);
    expect(behindHead.length).toBeGreaterThan(0);

    // And the forwarder's own proof agrees.
    const verify = await runCli(['verify', '--from', new Date(t0 - 1_000).toISOString(), '--to', new Date(lastTimestamp + 1_000).toISOString(), '--json'], env);
    expect(JSON.parse(verify.stdout)).toMatchObject({ complete: true, missing: 0, unexpected: 0 });
    expect(verify.code).toBe(0);
  }, 600_000);
});

/** Dead letters in the state directory's spool (Linseed has no dead-letter index). */
function spooled(stateDir: string): number {
  const file = existsSync(stateDir) ? readdirSync(stateDir).find((f) => f.endsWith('.deadletters.jsonl')) : undefined;
  return file ? readFileSync(path.join(stateDir, file), 'utf8').split('\n').filter(Boolean).length : 0;
}

function countBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, number> {
  const out = new Map<K, number>();
  for (const i of items) out.set(key(i), (out.get(key(i)) ?? 0) + 1);
  return out;
}

/** min / median / max, in seconds. */
function quantiles(ms: number[]): string {
  if (ms.length === 0) return '-';
  const s = [...ms].sort((a, b) => a - b);
  return [s[0]!, s[Math.floor(s.length / 2)]!, s.at(-1)!].map((v) => (v / 1000).toFixed(1)).join(' / ');
}
