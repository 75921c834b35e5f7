import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import {
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  type CloudWatchLogsClient,
  type LogGroup,
  type LogStream,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Client } from '@elastic/elasticsearch';
import type { CheckpointStore } from '../checkpoint/checkpoint.js';
import { checkpointKey, FileCheckpointStore } from '../checkpoint/file-store.js';
import { ConfigError } from '../config/errors.js';
import type { Settings } from '../config/settings.js';
import { createElasticClient } from '../sink/elastic-client.js';
import { auditTemplateName, deadLetterTemplateName } from '../sink/index-template.js';
import { createCloudWatchClient } from '../source/cloudwatch-client.js';
import { createRequestBudget } from '../source/request-budget.js';
import { auditIndexPrefix } from '../transform/calico-document.js';
import { maskSecrets, safeErrorText } from './health.js';

export interface DoctorResult {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
  /** Not run because a check it depends on failed (ok is false). */
  skipped?: boolean;
  /** Passed, but with something worth knowing (ok is true). */
  warning?: boolean;
}

export interface DoctorDeps {
  /** Default: a client built from the settings (closed again at the end). */
  cloudwatch?: CloudWatchLogsClient;
  /** Default: a client built from the settings (closed again at the end). */
  elastic?: Client;
  /** Default: the `run` checkpoint in the state directory. */
  checkpoint?: CheckpointStore;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  now?: () => number;
}

export const DOCTOR_CHECKS = [
  'configuration',
  'AWS credentials',
  'log group',
  'audit streams',
  'FilterLogEvents',
  'Elasticsearch reachable',
  'Elasticsearch write permission',
  'index templates',
  'checkpoint',
] as const;

const PROBE_ID = 'eks-log-forwarder-doctor-probe';

/**
 * Checks, in order, everything the forwarder needs, and says what to fix. `settings` is what the
 * caller resolved, or the ConfigError resolving them threw. Never mutates anything except a probe
 * document written and deleted at once; never shows a credential.
 */
export async function runDoctor(settings: Settings | ConfigError, deps: DoctorDeps = {}): Promise<DoctorResult[]> {
  const results: DoctorResult[] = [];
  const add = (r: DoctorResult) => results.push(r);
  const skip = (names: string[], why: string) => names.forEach((name) => add({ name, ok: false, skipped: true, detail: `not checked: ${why}` }));

  if (settings instanceof Error) {
    add({
      name: 'configuration',
      ok: false,
      detail: maskSecrets(settings.message),
      hint: 'fix the named setting (flag or environment variable; see the configuration table in the README)',
    });
    skip(DOCTOR_CHECKS.slice(1), 'the configuration is not valid');
    return results;
  }
  add({
    name: 'configuration',
    ok: true,
    detail: `region ${settings.region}, group ${settings.groupName}, prefix ${settings.streamPrefix}, Elasticsearch ${maskSecrets(settings.elastic.node)}, cluster ${settings.elastic.indexSuffix}`,
  });

  const timeoutMs = deps.timeoutMs ?? 10_000;
  const now = deps.now ?? Date.now;
  const cloudwatch = deps.cloudwatch ?? createCloudWatchClient({ region: settings.region, budget: createRequestBudget(settings.requestsPerSecond), credentials: settings.awsCredentials });
  let elastic = deps.elastic;
  let elasticError: unknown;
  if (!elastic) {
    try {
      elastic = createElasticClient(settings.elastic);
    } catch (err) {
      elasticError = err;
    }
  }
  try {
    await cloudwatchChecks(settings, cloudwatch, { add, skip, timeoutMs, now });
    await elasticChecks(settings, elastic, elasticError, { add, skip, timeoutMs, now });
    add(await checkpointCheck(settings, deps.checkpoint));
  } finally {
    if (!deps.cloudwatch) cloudwatch.destroy();
    if (!deps.elastic) await elastic?.close().catch(() => undefined);
  }
  return results;
}

interface Ctx {
  add: (r: DoctorResult) => void;
  skip: (names: string[], why: string) => void;
  timeoutMs: number;
  now: () => number;
}

async function cloudwatchChecks(settings: Settings, cw: CloudWatchLogsClient, ctx: Ctx): Promise<void> {
  const opts = () => ({ abortSignal: AbortSignal.timeout(ctx.timeoutMs) });
  const endpoint = process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS ?? process.env.AWS_ENDPOINT_URL;
  const where = endpoint ? `${settings.region} at ${maskSecrets(endpoint)}` : settings.region;

  // 1. Credentials: the SDK's own provider chain (or the Secret's keys), never the keys themselves.
  try {
    const creds = await withTimeout(cw.config.credentials(), ctx.timeoutMs, 'resolving AWS credentials');
    const source = settings.awsCredentials ? 'the cluster Secret (aws-id / aws-key)' : credentialSource(creds as { $source?: Record<string, string> });
    const expiry = (creds as { expiration?: Date }).expiration;
    ctx.add({ name: 'AWS credentials', ok: true, detail: `resolved from ${source}${expiry ? `, valid until ${expiry.toISOString()}` : ''}` });
  } catch (err) {
    ctx.add({
      name: 'AWS credentials',
      ok: false,
      detail: safeErrorText(err),
      hint: 'give the pod an IAM role (IRSA: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, or EKS Pod Identity), or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (in the cluster: the Secret tigera-eks-log-forwarder-secret, keys aws-id and aws-key)',
    });
    ctx.skip(['log group', 'audit streams', 'FilterLogEvents'], 'no AWS credentials');
    return;
  }

  // 2. The log group, by its exact name.
  let group: LogGroup | undefined;
  try {
    group = await findLogGroup(cw, settings.groupName, opts);
  } catch (err) {
    if (isAccessDenied(err)) {
      ctx.add({
        name: 'log group',
        ok: true,
        warning: true,
        detail: `not verified: ${safeErrorText(err)}`,
        hint: 'the forwarder itself needs only logs:FilterLogEvents; grant logs:DescribeLogGroups and logs:DescribeLogStreams to let doctor look',
      });
      ctx.add({ name: 'audit streams', ok: true, warning: true, detail: 'not verified: no permission to describe the log group' });
      await filterCheck(settings, cw, ctx, opts);
      return;
    }
    ctx.add({ name: 'log group', ok: false, detail: `${where}: ${safeErrorText(err)}`, hint: cloudwatchHint(err, settings) });
    ctx.skip(['audit streams', 'FilterLogEvents'], 'CloudWatch Logs did not answer');
    return;
  }
  if (!group) {
    const similar = await similarGroups(cw, settings.groupName, opts).catch(() => []);
    ctx.add({
      name: 'log group',
      ok: false,
      detail: `${settings.groupName} does not exist in ${where}`,
      hint:
        `set EKS_CLOUDWATCH_LOG_GROUP / --group to the cluster's group (/aws/eks/<cluster>/cluster); EKS creates it once the audit log type is enabled: ` +
        `aws eks update-cluster-config --name <cluster> --logging '{"clusterLogging":[{"types":["audit"],"enabled":true}]}'` +
        (similar.length ? `; groups found: ${similar.join(', ')}` : '; no similar group found in this region (is AWS_REGION right?)'),
    });
    ctx.skip(['audit streams', 'FilterLogEvents'], 'the log group does not exist');
    return;
  }
  const retention = group.retentionInDays ? `, retention ${group.retentionInDays} days` : ', retention never expires';
  ctx.add({ name: 'log group', ok: true, detail: `${settings.groupName} exists in ${where}${retention}` });

  // 3. Audit streams under the prefix.
  try {
    const streams = await listStreams(cw, settings.groupName, settings.streamPrefix, opts);
    if (streams.length === 0) {
      const others = await listStreams(cw, settings.groupName, undefined, opts, 1).catch(() => []);
      ctx.add({
        name: 'audit streams',
        ok: false,
        detail: `no stream named ${settings.streamPrefix}* in ${settings.groupName}`,
        hint:
          `enable the audit log type of the cluster (aws eks update-cluster-config ... "types":["audit"]) or fix EKS_CLOUDWATCH_LOG_STREAM_PREFIX / --stream-prefix` +
          (others.length ? `; streams in the group: ${others.slice(0, 5).map((s) => s.logStreamName).join(', ')}` : '; the group has no streams at all'),
      });
    } else {
      const newest = Math.max(...streams.map((s) => s.lastEventTimestamp ?? s.lastIngestionTime ?? 0));
      const age = newest > 0 ? ctx.now() - newest : undefined;
      const stale = age !== undefined && age > 6 * 60 * 60_000;
      ctx.add({
        name: 'audit streams',
        ok: true,
        warning: stale || newest === 0,
        detail:
          `${streams.length}${streams.length >= MAX_STREAMS ? '+' : ''} stream(s) named ${settings.streamPrefix}*` +
          (newest > 0 ? `, newest event ${new Date(newest).toISOString()} (${humanAge(age!)} ago)` : ', no event timestamp reported yet'),
        ...(stale ? { hint: 'no audit event for hours: is the audit log type still enabled on the cluster? (CloudWatch updates this timestamp lazily)' } : {}),
      });
    }
  } catch (err) {
    ctx.add({ name: 'audit streams', ok: isAccessDenied(err), warning: isAccessDenied(err), detail: safeErrorText(err), hint: cloudwatchHint(err, settings) });
  }

  await filterCheck(settings, cw, ctx, opts);
}

async function filterCheck(settings: Settings, cw: CloudWatchLogsClient, ctx: Ctx, opts: () => { abortSignal: AbortSignal }): Promise<void> {
  // 4. The one call the forwarder makes: FilterLogEvents with the stream prefix, limit 1.
  try {
    const since = ctx.now() - 60 * 60_000;
    const out = await cw.send(
      new FilterLogEventsCommand({ logGroupName: settings.groupName, logStreamNamePrefix: settings.streamPrefix, startTime: since, limit: 1 }),
      opts(),
    );
    const n = out.events?.length ?? 0;
    ctx.add({ name: 'FilterLogEvents', ok: true, detail: `permitted (${n ? 'an event' : 'no event'} in the last hour)` });
  } catch (err) {
    ctx.add({ name: 'FilterLogEvents', ok: false, detail: safeErrorText(err), hint: cloudwatchHint(err, settings) });
  }
}

async function elasticChecks(settings: Settings, es: Client | undefined, createError: unknown, ctx: Ctx): Promise<void> {
  const names = ['Elasticsearch write permission', 'index templates'];
  const node = maskSecrets(settings.elastic.node);
  const req = { requestTimeout: ctx.timeoutMs, maxRetries: 0 };
  if (!es) {
    ctx.add({ name: 'Elasticsearch reachable', ok: false, detail: safeErrorText(createError), hint: 'fix ELASTIC_CA (a readable PEM bundle)' });
    ctx.skip(names, 'no Elasticsearch client');
    return;
  }

  // 5. Reachable: cluster health (the test server has no `GET /`, and `HEAD /` says little).
  try {
    const h = await es.cluster.health({}, req);
    const red = h.status === 'red';
    ctx.add({
      name: 'Elasticsearch reachable',
      ok: !red,
      detail: `${node}: cluster ${h.cluster_name} is ${h.status}, ${h.number_of_nodes} node(s)`,
      ...(red ? { hint: 'a red cluster has unassigned primary shards: writes to them fail until it recovers' } : {}),
    });
  } catch (err) {
    const status = statusOf(err);
    if (status === 403) {
      ctx.add({ name: 'Elasticsearch reachable', ok: true, warning: true, detail: `${node}: answered, but cluster health is not permitted (no monitor privilege)` });
    } else {
      ctx.add({ name: 'Elasticsearch reachable', ok: false, detail: `${node}: ${safeErrorText(err)}`, hint: elasticHint(err) });
      ctx.skip(names, 'Elasticsearch is not reachable');
      return;
    }
  }

  ctx.add(await writeCheck(settings, es, req));
  ctx.add(await templateCheck(settings, es, req));
}

async function writeCheck(settings: Settings, es: Client, req: { requestTimeout: number; maxRetries: number }): Promise<DoctorResult> {
  const name = 'Elasticsearch write permission';
  const { deadLetterIndex, indexSuffix, installTemplate } = settings.elastic;
  const auditPattern = `${auditIndexPrefix(indexSuffix)}eks-*`;
  // With security enabled: ask, without writing anything.
  try {
    const res = await es.security.hasPrivileges(
      {
        cluster: installTemplate ? ['manage_index_templates'] : [],
        index: [
          { names: [auditPattern], privileges: ['create_doc', 'create_index', 'read'] },
          { names: [deadLetterIndex], privileges: ['create_doc', 'create_index'] },
        ],
      },
      req,
    );
    const missing: string[] = [];
    for (const [priv, granted] of Object.entries(res.cluster ?? {})) if (!granted) missing.push(`cluster ${priv}`);
    for (const [index, privs] of Object.entries(res.index ?? {})) {
      for (const [priv, granted] of Object.entries(privs)) if (!granted) missing.push(`${priv} on ${index}`);
    }
    if (missing.length === 0) return { name, ok: true, detail: `user ${res.username} may create documents and indices in ${auditPattern} and ${deadLetterIndex}` };
    return {
      name,
      ok: false,
      detail: `user ${res.username} lacks ${missing.join(', ')}`,
      hint: `grant a role with indices [${auditPattern}, ${deadLetterIndex}] privileges [create_doc, create_index, read]${installTemplate ? ' and cluster privilege manage_index_templates (or set ELASTIC_INSTALL_TEMPLATE=false where the operator installs the templates)' : ''}`,
    };
  } catch (err) {
    const status = statusOf(err);
    if (status === 401) return { name, ok: false, detail: safeErrorText(err), hint: 'check ELASTIC_USER/ELASTIC_PASSWORD or ELASTIC_API_KEY' };
    // Anything else means the security API is absent or disabled: fall through to a probe.
  }

  // Security disabled: anyone may write, unless the cluster or index is read-only. A probe
  // document proves it, but only where it cannot create an index with the wrong mappings.
  try {
    const [indexExists, templateExists] = await Promise.all([
      es.indices.exists({ index: deadLetterIndex }, req),
      es.indices.existsIndexTemplate({ name: deadLetterTemplateName(indexSuffix) }, req),
    ]);
    if (!indexExists && !templateExists) {
      const blocks = await readOnlyBlocks(es, req);
      if (blocks.length) return { name, ok: false, detail: `the cluster is read-only (${blocks.join(', ')})`, hint: 'free disk space, then clear the block' };
      return {
        name,
        ok: true,
        detail: `security is disabled (any client may write), no cluster write block; no probe written: ${deadLetterIndex} and its template do not exist yet`,
      };
    }
    try {
      await es.create({ index: deadLetterIndex, id: PROBE_ID, document: { '@timestamp': new Date().toISOString(), reason: 'eks-log-forwarder doctor write probe' } }, req);
    } catch (err) {
      if (statusOf(err) !== 409) throw err; // 409: a leftover probe, and the write was authorized
    }
    await es.delete({ index: deadLetterIndex, id: PROBE_ID }, req);
    return { name, ok: true, detail: `security is disabled; wrote and deleted a probe document in ${deadLetterIndex}` };
  } catch (err) {
    return { name, ok: false, detail: safeErrorText(err), hint: elasticHint(err) };
  }
}

async function templateCheck(settings: Settings, es: Client, req: { requestTimeout: number; maxRetries: number }): Promise<DoctorResult> {
  const name = 'index templates';
  const { indexSuffix, deadLetterIndex, installTemplate } = settings.elastic;
  const wanted = [auditTemplateName(indexSuffix), deadLetterTemplateName(indexSuffix)];
  try {
    const present = await Promise.all(wanted.map((t) => es.indices.existsIndexTemplate({ name: t }, req)));
    const absent = wanted.filter((_, i) => !present[i]);
    if (absent.length === 0) return { name, ok: true, detail: `installed: ${wanted.join(', ')}` };
    if (installTemplate) {
      return { name, ok: true, detail: `${absent.join(', ')} not installed yet; \`run\` installs ${absent.length > 1 ? 'them' : 'it'} at start (ELASTIC_INSTALL_TEMPLATE=true)` };
    }
    // Managed elsewhere (the operator)? Look for any template that covers the indices.
    const sampleAudit = `${auditIndexPrefix(indexSuffix)}eks-20260101`;
    const covering = await coveringTemplates(es, [sampleAudit, deadLetterIndex], req);
    const uncovered = [sampleAudit, deadLetterIndex].filter((i) => !covering.has(i));
    if (uncovered.length === 0) {
      return { name, ok: true, detail: `managed elsewhere: ${[...new Set([...covering.values()].flat())].join(', ')} cover the audit and dead-letter indices` };
    }
    return {
      name,
      ok: false,
      detail: `no index template covers ${uncovered.join(', ')} and ELASTIC_INSTALL_TEMPLATE is false`,
      hint: 'set ELASTIC_INSTALL_TEMPLATE=true (--install-template true), or have the operator install the audit templates',
    };
  } catch (err) {
    if (statusOf(err) === 403) {
      return { name, ok: true, warning: true, detail: 'cannot read index templates (no manage_index_templates privilege)', hint: installTemplate ? 'run needs manage_index_templates to install them, or set ELASTIC_INSTALL_TEMPLATE=false' : undefined };
    }
    return { name, ok: false, detail: safeErrorText(err), hint: elasticHint(err) };
  }
}

async function checkpointCheck(settings: Settings, given?: CheckpointStore): Promise<DoctorResult> {
  const name = 'checkpoint';
  const store = given ?? new FileCheckpointStore(settings.stateDir, checkpointKey('run', settings.groupName, settings.streamPrefix, settings.elastic.indexSuffix));
  let detail: string;
  try {
    const cp = await store.load();
    detail = cp
      ? `${store.location}: window from ${new Date(cp.windowStart).toISOString()}${cp.windowEnd !== undefined ? ` to ${new Date(cp.windowEnd).toISOString()}` : ''}, ${cp.nextToken ? 'next-page token saved' : 'no token'}, updated ${cp.updatedAt}`
      : `none yet at ${store.location}: a first run starts at the newest indexed document, else --start-from, else one hour ago`;
  } catch (err) {
    return {
      name,
      ok: false,
      detail: `${store.location}: ${safeErrorText(err)}`,
      hint: 'move the file aside: the next run starts at the newest indexed document (ids absorb any overlap)',
    };
  }
  if (store instanceof FileCheckpointStore) {
    const dir = await nearestExisting(path.dirname(store.location));
    try {
      await access(dir, constants.W_OK);
    } catch {
      return { name, ok: false, detail: `${detail}; but ${dir} is not writable`, hint: 'set EKS_FORWARDER_STATE_DIR / --state-dir to a writable directory (a volume in the pod)' };
    }
  }
  return { name, ok: true, detail };
}

/** A readable verdict per check and an overall line. */
export function formatDoctor(results: DoctorResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length), 10);
  const lines = ['eks-log-forwarder doctor'];
  for (const r of results) {
    const mark = r.skipped ? '-' : !r.ok ? '✗' : r.warning ? '!' : '✓';
    lines.push(`  ${mark} ${r.name.padEnd(width)}  ${r.detail}`);
    if (r.hint) lines.push(`    ${' '.repeat(width)}  hint: ${r.hint}`);
  }
  const failed = results.filter((r) => !r.ok && !r.skipped);
  const skipped = results.filter((r) => r.skipped);
  const warned = results.filter((r) => r.ok && r.warning);
  if (failed.length === 0 && skipped.length === 0) {
    lines.push(`all ${results.length} checks passed${warned.length ? ` (${warned.length} with a warning: ${warned.map((r) => r.name).join(', ')})` : ''}: ready to forward`);
  } else {
    lines.push(
      `${failed.length} of ${results.length} checks failed (${failed.map((r) => r.name).join(', ')})${skipped.length ? `, ${skipped.length} not run` : ''}: fix the first failure and run doctor again`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Whether every check passed: the caller exits 0, else 1. */
export const doctorPassed = (results: DoctorResult[]) => results.every((r) => r.ok);

// --- CloudWatch helpers -------------------------------------------------------------------

const MAX_STREAMS = 1_000;

async function findLogGroup(cw: CloudWatchLogsClient, name: string, opts: () => { abortSignal: AbortSignal }): Promise<LogGroup | undefined> {
  let nextToken: string | undefined;
  for (let page = 0; page < 20; page++) {
    const out = await cw.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, nextToken, limit: 50 }), opts());
    const hit = out.logGroups?.find((g) => g.logGroupName === name);
    if (hit) return hit;
    nextToken = out.nextToken;
    if (!nextToken) return undefined;
  }
  return undefined;
}

/** Up to 5 group names under the longest parent path of `name` that has any. */
async function similarGroups(cw: CloudWatchLogsClient, name: string, opts: () => { abortSignal: AbortSignal }): Promise<string[]> {
  const parts = name.split('/');
  for (let n = parts.length - 1; n >= 2; n--) {
    const prefix = `${parts.slice(0, n).join('/')}/`;
    const out = await cw.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, limit: 5 }), opts());
    const names = (out.logGroups ?? []).map((g) => g.logGroupName!).filter(Boolean);
    if (names.length) return names;
  }
  return [];
}

async function listStreams(
  cw: CloudWatchLogsClient,
  group: string,
  prefix: string | undefined,
  opts: () => { abortSignal: AbortSignal },
  maxPages = MAX_STREAMS / 50,
): Promise<LogStream[]> {
  const streams: LogStream[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const out = await cw.send(new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: prefix, nextToken, limit: 50 }), opts());
    streams.push(...(out.logStreams ?? []));
    nextToken = out.nextToken;
    if (!nextToken) break;
  }
  return streams;
}

const CREDENTIAL_SOURCES: [string, string][] = [
  ['CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN', 'web identity (IRSA: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE)'],
  ['CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN', 'a profile with a web identity token'],
  ['CREDENTIALS_STS_ASSUME_ROLE_WEB_ID', 'web identity (assumed role)'],
  ['CREDENTIALS_HTTP', 'the container credentials endpoint (EKS Pod Identity / ECS)'],
  ['CREDENTIALS_IMDS', 'the EC2 instance metadata service (the node role)'],
  ['CREDENTIALS_PROFILE_SSO', 'an SSO profile'],
  ['CREDENTIALS_SSO', 'SSO'],
  ['CREDENTIALS_PROFILE_PROCESS', 'a profile credential_process'],
  ['CREDENTIALS_PROCESS', 'a credential process'],
  ['CREDENTIALS_PROFILE_SOURCE_PROFILE', 'a profile assuming a role'],
  ['CREDENTIALS_PROFILE', `the shared credentials/config files (profile ${process.env.AWS_PROFILE ?? 'default'})`],
  ['CREDENTIALS_ENV_VARS', 'environment variables (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)'],
  ['CREDENTIALS_CODE', 'explicit settings'],
];

function credentialSource(creds: { $source?: Record<string, string> }): string {
  const features = creds.$source ?? {};
  for (const [key, text] of CREDENTIAL_SOURCES) if (key in features) return text;
  return "the SDK's default provider chain";
}

function isAccessDenied(err: unknown): boolean {
  const name = (err as { name?: string })?.name ?? '';
  return name === 'AccessDeniedException' || name === 'AccessDenied';
}

function cloudwatchHint(err: unknown, settings: Settings): string {
  const name = (err as { name?: string })?.name ?? '';
  if (isAccessDenied(err)) {
    return `allow logs:FilterLogEvents (and, for doctor, logs:DescribeLogGroups and logs:DescribeLogStreams) on arn:aws:logs:${settings.region}:<account>:log-group:${settings.groupName}:*`;
  }
  if (['UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException', 'InvalidClientTokenId'].includes(name)) {
    return 'the credentials were refused: check the key pair (or the role) and that it belongs to the account of the log group';
  }
  if (name === 'ThrottlingException') return 'the account is over its CloudWatch Logs request quota: lower EKS_FORWARDER_REQUESTS_PER_SECOND or try again';
  if (name === 'ResourceNotFoundException') return 'check EKS_CLOUDWATCH_LOG_GROUP and AWS_REGION';
  return 'check AWS_REGION, network access to the CloudWatch Logs endpoint (or AWS_ENDPOINT_URL_CLOUDWATCH_LOGS), and proxies';
}

// --- Elasticsearch helpers ----------------------------------------------------------------


function statusOf(err: unknown): number | undefined {
  return (err as { meta?: { statusCode?: number } })?.meta?.statusCode;
}

function elasticHint(err: unknown): string {
  const status = statusOf(err);
  const name = (err as { name?: string })?.name ?? '';
  if (status === 401) return 'the credentials were refused: check ELASTIC_USER/ELASTIC_PASSWORD or ELASTIC_API_KEY';
  if (status === 403) return 'the user lacks a privilege: see the detail';
  if (name === 'ConnectionError' && /certificate|self.signed|CERT_|unable to verify/i.test(String((err as Error).message))) {
    return 'TLS verification failed: set ELASTIC_CA to the cluster CA bundle (ELASTIC_SSL_VERIFY=false only for testing)';
  }
  if (name === 'ConnectionError' || name === 'TimeoutError' || name === 'NoLivingConnectionsError') {
    return 'check ELASTIC_URL (or ELASTIC_SCHEME/ELASTIC_HOST/ELASTIC_PORT) and that Elasticsearch is reachable from here';
  }
  return 'see the detail; Elasticsearch answered with an error';
}

async function readOnlyBlocks(es: Client, req: { requestTimeout: number; maxRetries: number }): Promise<string[]> {
  try {
    const s = await es.cluster.getSettings({ flat_settings: true }, req);
    const all = { ...(s.persistent ?? {}), ...(s.transient ?? {}) } as Record<string, unknown>;
    return ['cluster.blocks.read_only', 'cluster.blocks.read_only_allow_delete'].filter((k) => String(all[k]) === 'true');
  } catch {
    return [];
  }
}

/** For each index name, the composable or legacy templates whose patterns match it. */
async function coveringTemplates(es: Client, indices: string[], req: { requestTimeout: number; maxRetries: number }): Promise<Map<string, string[]>> {
  const patterns: [string, string[]][] = [];
  const composable = await es.indices.getIndexTemplate({}, req).catch(() => ({ index_templates: [] }));
  for (const t of composable.index_templates) patterns.push([t.name, ([] as string[]).concat(t.index_template.index_patterns as string | string[])]);
  const legacy = (await es.indices.getTemplate({}, req).catch(() => ({}))) as Record<string, { index_patterns?: string[] }>;
  for (const [name, t] of Object.entries(legacy)) patterns.push([name, t.index_patterns ?? []]);
  const out = new Map<string, string[]>();
  for (const index of indices) {
    const names = patterns.filter(([, ps]) => ps.some((p) => globMatch(p, index))).map(([n]) => n);
    if (names.length) out.set(index, names);
  }
  return out;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(name);
}

async function nearestExisting(dir: string): Promise<string> {
  let d = dir;
  for (;;) {
    try {
      await access(d);
      return d;
    } catch {
      const parent = path.dirname(d);
      if (parent === d) return d;
      d = parent;
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} took longer than ${ms} ms`), { name: 'TimeoutError' })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function humanAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}
