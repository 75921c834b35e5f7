import {
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  type CloudWatchLogsClient,
  type LogGroup,
  type LogStream,
} from '@aws-sdk/client-cloudwatch-logs';
import type { DoctorContext, DoctorResult } from '../../component.js';
import { errorText, maskSecrets } from '../../error-text.js';
import { humanDuration, iso } from '../../time.js';
import type { CloudWatchSettings } from './settings.js';

/** The checks of the CloudWatch source, in the order they depend on each other. */
export const CLOUDWATCH_CHECKS = ['AWS credentials', 'log group', 'audit streams', 'FilterLogEvents'] as const;

interface Ctx extends DoctorContext {
  add: (r: DoctorResult) => void;
  skip: (names: string[], why: string) => void;
}

/** Credentials, the log group, its audit streams and the one call the forwarder makes; never shows a key. */
export async function cloudwatchDoctor(settings: CloudWatchSettings, cw: CloudWatchLogsClient, context: DoctorContext): Promise<DoctorResult[]> {
  const results: DoctorResult[] = [];
  const add = (r: DoctorResult) => results.push(r);
  const skip = (names: string[], why: string) => names.forEach((name) => add({ name, ok: false, skipped: true, detail: `not checked: ${why}` }));
  await cloudwatchChecks(settings, cw, { ...context, add, skip });
  return results;
}

async function cloudwatchChecks(settings: CloudWatchSettings, cw: CloudWatchLogsClient, ctx: Ctx): Promise<void> {
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
      detail: errorText(err),
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
        detail: `not verified: ${errorText(err)}`,
        hint: 'the forwarder itself needs only logs:FilterLogEvents; grant logs:DescribeLogGroups and logs:DescribeLogStreams to let doctor look',
      });
      ctx.add({ name: 'audit streams', ok: true, warning: true, detail: 'not verified: no permission to describe the log group' });
      await filterCheck(settings, cw, ctx, opts);
      return;
    }
    ctx.add({ name: 'log group', ok: false, detail: `${where}: ${errorText(err)}`, hint: cloudwatchHint(err, settings) });
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
          (newest > 0 ? `, newest event ${iso(newest)} (${humanDuration(age!)} ago)` : ', no event timestamp reported yet'),
        ...(stale ? { hint: 'no audit event for hours: is the audit log type still enabled on the cluster? (CloudWatch updates this timestamp lazily)' } : {}),
      });
    }
  } catch (err) {
    ctx.add({ name: 'audit streams', ok: isAccessDenied(err), warning: isAccessDenied(err), detail: errorText(err), hint: cloudwatchHint(err, settings) });
  }

  await filterCheck(settings, cw, ctx, opts);
}

async function filterCheck(settings: CloudWatchSettings, cw: CloudWatchLogsClient, ctx: Ctx, opts: () => { abortSignal: AbortSignal }): Promise<void> {
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
    ctx.add({ name: 'FilterLogEvents', ok: false, detail: errorText(err), hint: cloudwatchHint(err, settings) });
  }
}


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

function cloudwatchHint(err: unknown, settings: CloudWatchSettings): string {
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

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} took longer than ${ms} ms`), { name: 'TimeoutError' })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

