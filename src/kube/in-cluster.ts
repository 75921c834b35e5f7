import os from 'node:os';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ConfigMapCheckpointStore } from '../checkpoint/configmap-store.js';
import { checkpointKey } from '../checkpoint/file-store.js';
import { ConfigError } from '../config/errors.js';
import { resolveSettings, type RawSettings, type Settings } from '../config/settings.js';
import { createPipeline, type BuiltPipeline } from '../pipeline/create-pipeline.js';
import { errorText } from '../pipeline/forward-window.js';
import { runLoop } from '../pipeline/run.js';
import { ClusterConfigWatcher, type ClusterConfig } from './cluster-config.js';
import { LeaderElector } from './leader-election.js';

export interface InClusterOptions {
  /** Settings from the environment and flags; the cluster's layer goes between them. */
  env: RawSettings;
  flags: RawSettings;
  namespace: string;
  log: Logger;
  /** Asks for a graceful stop of the whole process. */
  stop: AbortSignal;
  /** Hard stop once the grace period is over. */
  abort: AbortSignal;
  /** Prepares the sink (index templates) before forwarding starts. */
  prepare: (p: BuiltPipeline, settings: Settings, stop: AbortSignal) => Promise<void>;
  /** Reports state for readiness and metrics. */
  report: (event: InClusterEvent) => void;
  /** The pipeline being run, for metrics and status. */
  onPipeline?: (p: BuiltPipeline | undefined) => void;
  /** Called on every turn of the leader election loop: a sign of life while standing by. */
  onTick?: () => void;
}

export type InClusterEvent =
  | { kind: 'config'; config: ClusterConfig; error?: string }
  | { kind: 'role'; role: 'leader' | 'standby' };

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
      try {
        wanted = resolveSettings(opts.env, desired.settings, opts.flags);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        error = err.message;
      }
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
    const p = createPipeline(settings, log);
    opts.onPipeline?.(p);
    const store = new ConfigMapCheckpointStore(kc, opts.namespace, checkpointKey('run', settings.groupName, settings.streamPrefix, settings.elastic.indexSuffix));
    const stopAll = AbortSignal.any([stop.signal, lost, opts.stop]);
    log.info({ group: settings.groupName, prefix: settings.streamPrefix, intervalMs: settings.fetchIntervalMs, checkpoint: store.location }, 'forwarding');
    const done = (async () => {
      try {
        await opts.prepare(p, settings, stopAll);
        await runLoop(p, settings, store, { stop: stopAll, signal: opts.abort });
      } catch (err) {
        log.error({ err: errorText(err) }, 'pipeline stopped');
      } finally {
        await p.elastic.close();
        p.cloudwatch.destroy();
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
