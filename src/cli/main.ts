import { Command, Option } from 'commander';
import type { Logger } from 'pino';
import type { CheckpointStore } from '../checkpoint/checkpoint.js';
import { FileCheckpointStore } from '../checkpoint/file-store.js';
import {
  backfillCheckpointKey,
  closePipeline,
  componentCounters,
  createPipeline,
  doctorFor,
  positionFormat,
  runCheckpointKey,
  healthTargets,
  type RunningPipeline,
  type WiringOptions,
} from '../components.js';
import { ConfigError } from '../config/errors.js';
import {
  resolveProcessSettings,
  resolveSettings,
  resolveSinkSettings,
  SETTING_SPECS,
  settingsFromEnv,
  sinkKindOf,
  sourceKindOf,
  resolveKinesisSourceSettings,
  validateSettings,
  type ProcessSettings,
  type RawSettings,
  type Settings,
} from '../settings.js';
import type { SinkKind } from '../registry.js';
import { errorText } from '../error-text.js';
import { createLogger } from '../log.js';
import { doctorPassed, formatDoctor, type DoctorResult } from '../ops/doctor.js';
import { Health } from '../ops/health.js';
import { collectStatus, formatStatus } from '../ops/status.js';
import { backfill, splitWindow } from '../pipeline/backfill.js';
import { summary, type Control } from '../pipeline/pipeline.js';
import { runLoop } from '../pipeline/run.js';
import { VERIFY_EDGE_MS, verifyWindow, type VerifyReport } from '../pipeline/verify.js';
import { iso, parseInstant } from '../time.js';
import { loadPolicyFile } from '../transform/policy-file.js';
import { DEFAULT_POLICY } from '../transform/policy.js';
import { changesCommand, uiCommand } from '../changes/command.js';
import { startOps } from './ops.js';
import { showProgress } from './progress.js';

const EXIT_FAILED = 1;
const EXIT_CONFIG = 2;
const SHUTDOWN_GRACE_MS = 20_000;

function addSettingOptions(cmd: Command): Command {
  for (const spec of Object.values(SETTING_SPECS)) {
    // A command's own option of the same name wins (`changes --namespace` filters; it is not the operator's namespace).
    if (!spec.flag || cmd.options.some((o) => o.long === spec.flag)) continue;
    cmd.addOption(new Option(`${spec.flag} <value>`, spec.env ? `${spec.meaning} (env ${spec.env})` : spec.meaning).hideHelp(spec.hidden === true));
  }
  return cmd;
}

/** Flags win over the environment. */
function settingsFrom(options: Record<string, unknown>): Settings {
  return resolveSettings(settingsFromEnv(process.env), flagsFrom(options));
}

function flagsFrom(options: Record<string, unknown>): RawSettings {
  const flags: RawSettings = {};
  for (const [key, spec] of Object.entries(SETTING_SPECS)) {
    if (!spec.flag) continue;
    const prop = spec.flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const value = options[prop];
    if (typeof value === 'string') flags[key] = value;
  }
  return flags;
}

/** Graceful stop on the first SIGTERM/SIGINT, hard stop after the grace period or a second signal. */
function shutdownControl(log: Logger): Control & { dispose(): void } {
  const stop = new AbortController();
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onSignal = (signal: string) => {
    if (stop.signal.aborted) {
      log.warn({ signal }, 'second signal: stopping now');
      abort.abort(new Error(`stopped by ${signal}`));
      return;
    }
    log.info({ signal, graceMs: SHUTDOWN_GRACE_MS }, 'stopping: finishing the page in hand');
    stop.abort();
    timer = setTimeout(() => abort.abort(new Error('shutdown grace period over')), SHUTDOWN_GRACE_MS);
    timer.unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    stop: stop.signal,
    signal: abort.signal,
    dispose() {
      clearTimeout(timer);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

async function runCommand(options: Record<string, unknown>, log: Logger): Promise<number> {
  const env = settingsFromEnv(process.env);
  const flags = flagsFrom(options);
  const proc = resolveProcessSettings(env, flags);
  if (sourceKindOf(env, flags) === 'kinesis') return runKinesisCommand(env, flags, proc, log);
  if (proc.configSource === 'kubernetes') return runInClusterCommand(env, flags, proc, log);
  const settings = resolveSettings(env, flags);
  const store = runStore(settings);
  const health = new Health(Date.now, healthTargets(settings.sink));
  health.setConfigured(true);
  health.setRole('single');
  return withPipeline(settings, { log, health }, async (p, control) => {
    const ops = await startOps(proc.httpPort, health, { pipeline: () => p, checkpointLocation: () => store.location, sink: settings.sink }, log, settings.cloudwatch.fetchIntervalMs);
    try {
      await p.sink.prepare(control.stop);
      await runLoop(p, store, control, { startFrom: settings.pipeline.startFrom, retryAfterMs: settings.cloudwatch.fetchIntervalMs });
      return 0;
    } finally {
      await ops?.close();
    }
  });
}

/** Push mode; its module (the Kubernetes and Kinesis clients) loads only when chosen. */
async function runKinesisCommand(env: RawSettings, flags: RawSettings, proc: ProcessSettings, log: Logger): Promise<number> {
  if (proc.configSource === 'kubernetes') throw new ConfigError('EKS_FORWARDER_CONFIG_SOURCE / --config-source', 'kubernetes takes the poller\'s settings from the LogCollector: push mode (EKS_FORWARDER_SOURCE=kinesis) is configured by environment');
  const { runKinesis } = await import('./kinesis.js');
  const control = shutdownControl(log);
  try {
    return await runKinesis(env, flags, proc, log, control);
  } finally {
    control.dispose();
  }
}

function runStore(settings: Settings): FileCheckpointStore {
  return new FileCheckpointStore(settings.pipeline.stateDir, runCheckpointKey(settings));
}

async function runInClusterCommand(env: RawSettings, flags: RawSettings, proc: ProcessSettings, log: Logger): Promise<number> {
  // The cluster supplies the CloudWatch settings; everything else must be valid now (exit 2).
  const known = validateSettings([env, flags], { suppliedLater: ['region', 'groupName', 'streamPrefix', 'fetchInterval'] });
  if (known instanceof ConfigError) throw known;
  const control = shutdownControl(log);
  const sink = sinkKindOf(env, flags);
  const health = new Health(Date.now, healthTargets(sink));
  let current: RunningPipeline | undefined;
  const ops = await startOps(proc.httpPort, health, { pipeline: () => current, checkpointLocation: () => undefined, sink }, log);
  try {
    const { runInCluster } = await loadKube();
    await runInCluster({
      env,
      flags,
      namespace: proc.namespace,
      awsSecret: proc.awsSecret,
      log,
      health,
      stop: control.stop,
      abort: control.signal,
      onPipeline: (p) => (current = p),
      onTick: () => health.tick(),
      report: (event) => {
        if (event.kind === 'role') return health.setRole(event.role);
        if (event.kind === 'stopped') return health.setStopped(event.reason);
        if (event.kind === 'warning') return health.warn(event.topic, event.text);
        const reason = event.error ?? (event.config.state === 'ready' ? undefined : event.config.reason);
        health.setConfigured(event.config.state === 'ready' && !event.error, reason);
        if (event.error) log.error({ reason: event.error }, 'invalid configuration');
      },
    });
    return 0;
  } finally {
    await ops?.close();
    control.dispose();
  }
}

function parseWindowBound(name: string, value: unknown): number {
  const t = typeof value === 'string' ? parseInstant(value) : undefined;
  if (t === undefined) throw new ConfigError(name, `must be ISO 8601 (2026-11-21T00:00:00Z), "now" or a duration ago like 24h, got "${String(value)}"`);
  return t;
}

/** The closed window of `--from` and `--to`. */
function windowOf(options: Record<string, unknown>): { from: number; to: number } {
  const from = parseWindowBound('--from', options.from);
  const to = parseWindowBound('--to', options.to ?? 'now');
  if (from >= to) throw new ConfigError('--from', `must be before --to (${iso(from)} >= ${iso(to)})`);
  return { from, to };
}

/** Runs `fn` with a wired pipeline and signal handling, and always releases both. */
async function withPipeline<T>(settings: Settings, wiring: WiringOptions, fn: (p: RunningPipeline, control: Control) => Promise<T>): Promise<T> {
  const p = createPipeline(settings, wiring);
  const control = shutdownControl(wiring.log);
  try {
    return await fn(p, control);
  } finally {
    control.dispose();
    await closePipeline(p);
  }
}

async function backfillCommand(options: Record<string, unknown>, log: Logger): Promise<number> {
  const window = windowOf(options);
  const settings = settingsFrom(options);
  const slices = Number(options.slices ?? 1);
  if (!Number.isInteger(slices) || slices < 1 || slices > 64) throw new ConfigError('--slices', `must be an integer from 1 to 64, got "${String(options.slices)}"`);
  // Every slice shares the first one's clients, request budget and counters: the quota is the account's.
  const noHealth = { ok() {}, failed() {}, tick() {} };
  const windows = splitWindow(window, slices);
  const first = createPipeline(settings, { log, health: noHealth, backfill: true, mode: { kind: 'window', to: windows[0]!.to } });
  const budget = first.budget;
  const parts = windows.map((w, i) => ({
    window: w,
    pipeline: i === 0 ? first : createPipeline(settings, { log, health: noHealth, sharing: first, mode: { kind: 'window', to: w.to } }),
    store: new FileCheckpointStore(settings.pipeline.stateDir, backfillCheckpointKey(settings, window, i, slices)),
  }));
  const control = shutdownControl(log);
  const progress = options.progress === false ? undefined : showProgress(first.stats, window, () => budget.spent);
  try {
    await first.sink.prepare(control.stop);
    const result = await backfill(parts, control);
    progress?.stop();
    if (result.complete) await first.sink.makeSearchable(control.signal);
    const counters = componentCounters(first);
    const report = {
      window: { from: iso(window.from), to: iso(window.to) },
      complete: result.complete,
      resumed: result.resumed,
      slices,
      ...summary(first.stats),
      retries: (counters.retriesCloudwatch ?? 0) + (counters.retriesElasticsearch ?? 0) + (counters.retriesLinseed ?? 0),
      spooled: first.stats.spooled,
      invalid: first.stats.invalid,
      rejected: first.stats.rejected,
      otherStreamEvents: first.source.stats.otherStreamEvents,
      apiCalls: budget.spent,
      durationSeconds: Number(((Date.now() - first.stats.startedAt) / 1000).toFixed(1)),
    };
    process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatReport(report));
    return result.complete ? 0 : EXIT_FAILED;
  } finally {
    progress?.stop();
    control.dispose();
    await closePipeline(first);
  }
}

/** `verify` of one window with the settings of `options`. */
function verifyReport(options: Record<string, unknown>, log: Logger, window: { from: number; to: number }): Promise<VerifyReport> {
  const wiring: WiringOptions = { log, health: { ok() {}, failed() {}, tick() {} }, mode: { kind: 'window', to: window.to + VERIFY_EDGE_MS }, prefilter: false };
  return withPipeline(settingsFrom(options), wiring, async (p, control) => ({
    ...(await verifyWindow(p, window, control.signal, options.allIndices ? 'cluster' : 'forwarder')),
    apiCalls: p.budget.spent,
  }));
}

async function verifyCommand(options: Record<string, unknown>, log: Logger): Promise<number> {
  const report = await verifyReport(options, log, windowOf(options));
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatVerify(report));
  return report.complete ? 0 : EXIT_FAILED;
}

/**
 * The settings `doctor` and `status` look at: from the environment and flags, or in the cluster
 * from the LogCollector and Secret read once. A ConfigError is returned, not thrown, so that
 * `doctor` can report it as its first verdict.
 */
async function inspectedSettings(
  options: Record<string, unknown>,
): Promise<{
  settings: Settings | ConfigError;
  store: (settings: Settings) => CheckpointStore;
  proc: ProcessSettings;
  sink: SinkKind;
  cluster?: { name: string; check: () => Promise<DoctorResult> };
}> {
  const env = settingsFromEnv(process.env);
  const flags = flagsFrom(options);
  const proc = resolveProcessSettings(env, flags);
  const sink = sinkKindOf(env, flags);
  const attempt = (cluster: RawSettings = {}) => validateSettings([env, cluster, flags]) as Settings | ConfigError;
  if (proc.configSource !== 'kubernetes') return { settings: attempt(), store: runStore, proc, sink };
  const { KubeConfig, readClusterConfig, defaultChainHasCredentials, ConfigMapCheckpointStore, operatorForwarderCheck, OPERATOR_FORWARDER_CHECK } = await loadKube();
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const cluster = await readClusterConfig(kc, proc.namespace, defaultChainHasCredentials, proc.awsSecret);
  const store = (s: Settings) => new ConfigMapCheckpointStore(kc, proc.namespace, runCheckpointKey(s));
  const operator = { name: OPERATOR_FORWARDER_CHECK, check: () => operatorForwarderCheck(kc, proc.awsSecret) };
  if (cluster.state !== 'ready') return { settings: new ConfigError('LogCollector / Secret', cluster.reason), store, proc, sink, cluster: operator };
  return { settings: attempt(cluster.settings), store, proc, sink, cluster: operator };
}

/**
 * The Kubernetes client costs ~70 MB of RSS and ~0.6 s of CPU just to load, so it is only
 * loaded when the configuration comes from the cluster.
 */
async function loadKube() {
  const [client, clusterConfig, inCluster, configMapStore, operatorForwarder] = await Promise.all([
    import('@kubernetes/client-node'),
    import('../kube/cluster-config.js'),
    import('../kube/in-cluster.js'),
    import('../checkpoint/configmap-store.js'),
    import('../kube/operator-forwarder.js'),
  ]);
  return {
    KubeConfig: client.KubeConfig,
    readClusterConfig: clusterConfig.readClusterConfig,
    defaultChainHasCredentials: inCluster.defaultChainHasCredentials,
    runInCluster: inCluster.runInCluster,
    ConfigMapCheckpointStore: configMapStore.ConfigMapCheckpointStore,
    operatorForwarderCheck: operatorForwarder.operatorForwarderCheck,
    OPERATOR_FORWARDER_CHECK: operatorForwarder.OPERATOR_FORWARDER_CHECK,
  };
}

async function doctorCommand(options: Record<string, unknown>): Promise<number> {
  const env = settingsFromEnv(process.env);
  const flags = flagsFrom(options);
  if (sourceKindOf(env, flags) === 'kinesis') {
    const { kinesisDoctor } = await import('./kinesis.js');
    const results = await kinesisDoctor(env, flags, resolveProcessSettings(env, flags));
    process.stdout.write(options.json ? `${JSON.stringify(results)}\n` : formatDoctor(results));
    return doctorPassed(results) ? 0 : EXIT_FAILED;
  }
  const { settings, store, sink, cluster } = await inspectedSettings(options);
  const results = await doctorFor(settings, settings instanceof ConfigError ? undefined : store(settings), sink, cluster);
  process.stdout.write(options.json ? `${JSON.stringify(results)}\n` : formatDoctor(results));
  return doctorPassed(results) ? 0 : EXIT_FAILED;
}

async function statusCommand(options: Record<string, unknown>): Promise<number> {
  const env = settingsFromEnv(process.env);
  const flags = flagsFrom(options);
  if (sourceKindOf(env, flags) === 'kinesis') {
    const proc = resolveProcessSettings(env, flags);
    const { kinesisStatus, formatKinesisStatus } = await import('./kinesis.js');
    const report = await kinesisStatus(env, flags, proc, typeof options.url === 'string' ? options.url : `http://127.0.0.1:${proc.httpPort}`);
    process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatKinesisStatus(report));
    return 0;
  }
  const { settings, store, proc } = await inspectedSettings(options);
  if (settings instanceof ConfigError) throw settings;
  const url = typeof options.url === 'string' ? options.url : `http://127.0.0.1:${proc.httpPort}`;
  const report = await collectStatus({ store: store(settings), format: positionFormat, url });
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatStatus(report, positionFormat));
  return 0;
}

async function setupSubscriptionCommand(options: Record<string, unknown>): Promise<number> {
  const env = settingsFromEnv(process.env);
  const flags = flagsFrom(options);
  const settings = resolveKinesisSourceSettings(env, flags);
  if (!options.roleArn && !options.destinationArn) throw new ConfigError('--role-arn or --destination-arn', 'is required (the role CloudWatch Logs assumes to write into the stream, or a cross-account destination)');
  const auditPolicyFile = flags.auditPolicyFile ?? env.auditPolicyFile;
  const policy = auditPolicyFile ? loadPolicyFile(auditPolicyFile) : DEFAULT_POLICY;
  const { setupSubscription } = await import('../source/kinesis/setup-subscription.js');
  const created = await setupSubscription({
    settings,
    policy,
    groups: options.logGroup as string[],
    roleArn: options.roleArn as string | undefined,
    destinationArn: options.destinationArn as string | undefined,
    filterName: options.filterName as string,
    prefilter: options.filterPattern !== false,
  });
  if (options.json) process.stdout.write(`${JSON.stringify(created)}\n`);
  else for (const c of created) for (const f of c.filters) process.stdout.write(`${c.group}: ${f.filterName} -> ${c.destinationArn} pattern ${f.filterPattern || '(everything)'}\n`);
  return 0;
}

function formatVerify(r: VerifyReport): string {
  const lines = [
    `verify ${r.window.from} .. ${r.window.to}${r.scope === 'cluster' ? ' (every index of the cluster)' : ''}: ${r.complete ? 'COMPLETE' : 'INCOMPLETE'}`,
    `  events read        ${r.eventsRead}`,
    `  expected documents ${r.expected}`,
    `  found              ${r.found}`,
    `  missing            ${r.missing}${r.sampleMissing.length ? `  e.g. ${r.sampleMissing.join(', ')}` : ''}`,
    `  unexpected         ${r.unexpected}${r.sampleUnexpected.length ? `  e.g. ${r.sampleUnexpected.join(', ')}` : ''}`,
    `  duplicates         ${r.duplicates}${r.sampleDuplicates.length ? `  e.g. ${r.sampleDuplicates.join(', ')}` : ''}`,
    `  dead letters       ${r.deadLettersExpected - r.deadLettersMissing} of ${r.deadLettersExpected}${r.sampleDeadLettersMissing.length ? `  missing e.g. ${r.sampleDeadLettersMissing.join(', ')}` : ''}`,
    `  API calls          ${r.apiCalls ?? 0}`,
  ];
  return `${lines.join('\n')}\n`;
}

function formatReport(report: Record<string, unknown>): string {
  const rows = Object.entries(report).map(([k, v]) => `  ${k.padEnd(18)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return `backfill summary\n${rows.join('\n')}\n`;
}

const FROM_OPTION = ['--from <time>', 'window start: ISO 8601 or a duration ago (24h)'] as const;
const TO_OPTION = ['--to <time>', 'window end: ISO 8601, a duration ago, or now', 'now'] as const;

export async function main(argv: string[]): Promise<number> {
  const log = createLogger();
  const program = new Command('eks-log-forwarder')
    .description('Forwards the EKS API server audit log from CloudWatch Logs to Calico\'s Elasticsearch audit index.')
    .exitOverride()
    .showHelpAfterError();

  let exitCode = 0;
  const guard = (fn: (o: Record<string, unknown>, log: Logger) => Promise<number>) => async (o: Record<string, unknown>) => {
    exitCode = await fn(o, log);
  };

  addSettingOptions(program.command('run').description('poll CloudWatch every fetch interval and forward until stopped')).action(guard(runCommand));
  addSettingOptions(
    program
      .command('backfill')
      .description('forward one closed time window once, then exit (0 only when all of it is indexed)')
      .requiredOption(...FROM_OPTION)
      .option(...TO_OPTION)
      .option('--json', 'print the summary as JSON')
      .option('--slices <n>', 'time slices read concurrently under the one request budget', '1')
      .option('--no-progress', 'no progress bar or progress lines'),
  ).action(guard(backfillCommand));

  addSettingOptions(
    program
      .command('verify')
      .description('prove a window complete: every expected document is indexed, nothing unexpected is (exit 0), else exit 1')
      .requiredOption(...FROM_OPTION)
      .option(...TO_OPTION)
      .option('--json', 'print the report as JSON')
      .option('--all-indices', "judge every document under the cluster's index pattern, any writer's (after a cut-over), not only this forwarder's"),
  ).action(guard(verifyCommand));

  const sinkOf = (o: Record<string, unknown>) => resolveSinkSettings(settingsFromEnv(process.env), flagsFrom(o));
  addSettingOptions(
    program
      .command('changes')
      .description("who changed what: the range's changes with Calico's Timeline semantics, their diffs, or an HTML report")
      .requiredOption(...FROM_OPTION)
      .option(...TO_OPTION)
      .option('--resource <kind|plural[.group]>', 'only this resource (NetworkPolicy, networkpolicies.networking.k8s.io)')
      .option('--namespace <ns>', 'only this namespace')
      .option('--name <name>', 'only objects of this name')
      .option('--user <username>', 'only changes by this user')
      .option('--verb <verbs>', 'only these verbs (comma-separated: create,update,patch,delete)')
      .option('--diff', "under each change, the object before and after as a unified diff of YAML (listed by object)")
      .option('--keep-noise', 'keep managedFields, resourceVersion, generation, last-applied-configuration and status-only changes in diffs')
      .option('--look-back <duration>', 'how far before --from to look for the version a change replaced', '30d')
      .option('--json', 'one JSON object per change and line')
      .option('--html <file>', 'write a self-contained HTML report (timeline, change log, side-by-side diffs)')
      .option('--verify', 'run verify over the range and state its verdict in the report (needs the CloudWatch settings)'),
  ).action(guard((o, log) => changesCommand(o, { sink: sinkOf(o), log, verify: (w) => verifyReport(o, log, w) })));
  addSettingOptions(
    program
      .command('ui')
      .description('serve the change views live and read-only (127.0.0.1 unless --allow-pod-network)')
      .option('--listen <host:port>', 'where to listen', '127.0.0.1:8080')
      .option('--allow-pod-network', 'allow a --listen address other than loopback (audit documents carry request bodies)'),
  ).action(guard((o, log) => uiCommand(o, { sink: sinkOf(o), log })));

  addSettingOptions(
    program
      .command('setup-subscription')
      .description('push mode: subscribe log groups to the Kinesis stream, with filter patterns compiled from the policy (and one for cut-off events)')
      .requiredOption('--log-group <group...>', 'log group(s) to subscribe, e.g. /aws/eks/<cluster>/cluster')
      .option('--role-arn <arn>', 'the role CloudWatch Logs assumes to write into the stream (same account)')
      .option('--destination-arn <arn>', "a CloudWatch Logs destination in the stream's account (cross-account), instead of the stream")
      .option('--filter-name <name>', 'subscription filter name', 'eks-log-forwarder')
      .option('--no-filter-pattern', 'one filter with an empty pattern (everything) instead of two compiled from the policy')
      .option('--json', 'print what was created as JSON'),
  ).action(guard((o) => setupSubscriptionCommand(o)));
  addSettingOptions(
    program
      .command('doctor')
      .description('check configuration, credentials, the log group and its audit streams, Elasticsearch and the checkpoint')
      .option('--json', 'print the verdicts as JSON'),
  ).action(guard((o) => doctorCommand(o)));
  addSettingOptions(
    program
      .command('status')
      .description('show the checkpoint, lag and last errors (of the running forwarder when reachable)')
      .option('--url <url>', 'ops endpoint of the running forwarder (default http://127.0.0.1:<http port>)')
      .option('--json', 'print the report as JSON'),
  ).action(guard((o) => statusCommand(o)));

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const issue of err.issues) process.stderr.write(`eks-log-forwarder: configuration error: ${issue.setting}: ${issue.message}\n`);
      return EXIT_CONFIG;
    }
    const code = (err as { code?: string; exitCode?: number }).code;
    if (code?.startsWith('commander.')) {
      // Help and version are not errors; a bad command line is a configuration error.
      return ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(code) ? 0 : EXIT_CONFIG;
    }
    log.error({ err: errorText(err) }, 'failed');
    process.stderr.write(`eks-log-forwarder: ${errorText(err)}\n`);
    return EXIT_FAILED;
  }
}
