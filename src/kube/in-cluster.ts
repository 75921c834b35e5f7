import os from 'node:os';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ConfigMapCheckpointStore } from '../checkpoint/configmap-store.js';
import type { HealthReporter } from '../component.js';
import { closePipeline, createPipeline, runCheckpointKey, type RunningPipeline } from '../components.js';
import { ConfigError } from '../config/errors.js';
import { validateSettings, type RawSettings, type Settings } from '../settings.js';
import { errorText } from '../error-text.js';
import { runLoop } from '../pipeline/run.js';
import { operatorForwarderCheck } from './operator-forwarder.js';
import { AWS_SECRET, ClusterConfigWatcher, type ClusterConfig } from './cluster-config.js';
import { LeaderElector } from './leader-election.js';

export interface InClusterOptions {
  /** Settings from the environment and flags; the cluster's layer goes between them. */
  env: RawSettings;
  flags: RawSettings;
  namespace: string;
  /** The Secret with the AWS keys (`EKS_FORWARDER_AWS_SECRET`). */
  awsSecret?: string;
  log: Logger;
  /** Asks for a graceful stop of the whole process. */
  stop: AbortSignal;
  /** Hard stop once the grace period is over. */
  abort: AbortSignal;
  /** Where the components report how their targets answer. */
  health: HealthReporter;
  /** Reports state for readiness and metrics. */
  report: (event: InClusterEvent) => void;
  /** The pipeline being run, for metrics and status. */
  onPipeline?: (p: RunningPipeline | undefined) => void;
  /** Called on every turn of the leader election loop: a sign of life while standing by. */
  onTick?: () => void;
}

export type InClusterEvent =
  | { kind: 'config'; config: ClusterConfig; error?: string }
  | { kind: 'role'; role: 'leader' | 'standby' }
  /** The pipeline ended on an error it cannot go on from (another writer owns the checkpoint): restart the pod. */
  | { kind: 'stopped'; reason: string }
  /** Something to act on although forwarding goes on (the operator's forwarder beside this one); no text clears it. */
  | { kind: 'warning'; topic: string; text?: string };

interface Running {
  settings: Settings;
  stop: AbortController;
  done: Promise<void>;
}

/**
 * `run` inside the cluster: settings come from the LogCollector and its Secret and are
 * followed live; only the replica holding the Lease forwards; the checkpoint lives in a
 * ConfigMap. A change of settings stops the running pipeline gracefully (page finished,
 * checkpoint saved) and starts one with the new settings; the checkpoint of what was already
 * forwarded is kept, keyed by group and prefix.
 */
export async function runInCluster(opts: InClusterOptions): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const { log } = opts;
  void warnOfOperatorForwarder(kc, opts);
  let desired: ClusterConfig = { state: 'idle', reason: 'waiting for the LogCollector' };
  let leading: AbortSignal | undefined;
  let running: Running | undefined;
  let queue = Promise.resolve();

  const reconcile = () => {
    queue = queue.then(step).catch((err) => log.error({ err: errorText(err) }, 'reconcile failed'));
  };

  async function step(): Promise<void> {
    let wanted: Settings | undefined;
    let error: string | undefined;
    if (desired.state === 'ready') {
      const resolved = validateSettings([opts.env, desired.settings, opts.flags]);
      if (resolved instanceof ConfigError) error = resolved.message.replaceAll('\n', '; ');
      else wanted = resolved;
    }
    opts.report({ kind: 'config', config: desired, error });
    if (!leading || leading.aborted || opts.stop.aborted) wanted = undefined;
    if (running && (!wanted || !sameSettings(running.settings, wanted))) {
      log.info('stopping the pipeline to apply a change');
      running.stop.abort();
      await running.done;
      running = undefined;
      opts.onPipeline?.(undefined);
    }
    if (wanted && !running) running = start(wanted, leading!);
  }

  function start(settings: Settings, lost: AbortSignal): Running {
    const stop = new AbortController();
    const p = createPipeline(settings, { log, health: opts.health });
    opts.onPipeline?.(p);
    const store = new ConfigMapCheckpointStore(kc, opts.namespace, runCheckpointKey(settings));
    const stopAll = AbortSignal.any([stop.signal, lost, opts.stop]);
    const cw = settings.cloudwatch;
    log.info({ group: cw.groupName, prefix: cw.streamPrefix, intervalMs: cw.fetchIntervalMs, checkpoint: store.location }, 'forwarding');
    const done = (async () => {
      try {
        await p.sink.prepare(stopAll);
        await runLoop(p, store, { stop: stopAll, signal: opts.abort }, { startFrom: settings.pipeline.startFrom, retryAfterMs: cw.fetchIntervalMs });
      } catch (err) {
        log.error({ err: errorText(err) }, 'pipeline stopped');
        // Stopping on purpose (a change of settings, the Lease lost, shutdown) is not a failure.
        if (!stopAll.aborted) opts.report({ kind: 'stopped', reason: errorText(err) });
      } finally {
        await closePipeline(p);
      }
    })();
    return { settings, stop, done };
  }

  const watcher = new ClusterConfigWatcher(
    kc,
    opts.namespace,
    defaultChainHasCredentials,
    (config) => {
      desired = config;
      if (config.state !== 'ready') log.warn({ reason: config.reason }, config.state === 'idle' ? 'idle' : 'invalid cluster configuration');
      reconcile();
    },
    (err) => log.warn({ err: errorText(err) }, 'watch of the LogCollector or Secret failed; re-listing'),
    opts.awsSecret,
  );
  const elector = new LeaderElector(kc, {
    namespace: opts.namespace,
    identity: process.env.POD_NAME || `${os.hostname()}-${process.pid}`,
    onStartedLeading: (lost) => {
      log.info('became the leader');
      leading = lost;
      opts.report({ kind: 'role', role: 'leader' });
      reconcile();
    },
    onStoppedLeading: () => {
      log.info('standing by');
      opts.report({ kind: 'role', role: 'standby' });
      reconcile();
    },
    onError: (err) => log.warn({ err: errorText(err) }, 'leader election request failed'),
    onTick: opts.onTick,
  });
  opts.report({ kind: 'role', role: 'standby' });
  log.info({ identity: elector.identity, namespace: opts.namespace }, 'standing by: campaigning for the leader Lease');

  await startWatching(watcher, opts.stop, log);
  const electing = elector.run();
  await new Promise<void>((resolve) => opts.stop.addEventListener('abort', () => resolve(), { once: true }));
  reconcile();
  await queue;
  await elector.stop();
  await electing;
  await watcher.stop();
}

/** Keeps trying: the API server may be unreachable at start, and the process must not die. */
async function startWatching(watcher: ClusterConfigWatcher, stop: AbortSignal, log: Logger): Promise<void> {
  for (let attempt = 1; !stop.aborted; attempt++) {
    try {
      await watcher.start();
      return;
    } catch (err) {
      log.warn({ err: errorText(err), attempt }, 'cannot read the LogCollector or Secret yet; retrying');
      await new Promise((r) => setTimeout(r, Math.min(30_000, 1_000 * attempt)));
    }
  }
}

export async function defaultChainHasCredentials(): Promise<boolean> {
  // The SDK's chain: environment, IRSA web identity, EKS Pod Identity, profiles, instance role.
  try {
    await fromNodeProviderChain({ timeout: 2_000, maxRetries: 0 } as never)();
    return true;
  } catch {
    return false;
  }
}

function sameSettings(a: Settings, b: Settings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Says once, at start, when the operator's own forwarder polls the same group beside this one. */
async function warnOfOperatorForwarder(kc: KubeConfig, opts: InClusterOptions): Promise<void> {
  const check = await operatorForwarderCheck(kc, opts.awsSecret ?? AWS_SECRET).catch(() => undefined);
  if (!check || check.ok) return;
  opts.log.warn({ detail: check.detail, fix: check.hint }, "the operator's forwarder runs beside this one");
  opts.report({ kind: 'warning', topic: 'operator-forwarder', text: `${check.detail}; fix: ${check.hint}` });
}
