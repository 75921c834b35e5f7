import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const valid = {
  AWS_REGION: 'us-west-2',
  EKS_CLOUDWATCH_LOG_GROUP: '/aws/eks/demo/cluster',
  ELASTIC_URL: 'http://127.0.0.1:1',
};

const badPolicy = path.join(mkdtempSync(path.join(os.tmpdir(), 'eksfwd-policy-')), 'policy.yaml');
writeFileSync(badPolicy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Loud\n');

describe('configuration errors exit with status 2 and name the setting', () => {
  it.each([
    ['missing region', ['run'], { ...valid, AWS_REGION: undefined }, /AWS_REGION \/ --region: is required/],
    ['missing log group', ['run'], { ...valid, EKS_CLOUDWATCH_LOG_GROUP: undefined }, /EKS_CLOUDWATCH_LOG_GROUP \/ --group: is required/],
    ['negative fetch interval', ['run'], { ...valid, EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '-1' }, /EKS_CLOUDWATCH_LOG_FETCH_INTERVAL.*positive/],
    ['flag overriding env with a bad value', ['run', '--fetch-interval', 'often'], valid, /--fetch-interval: must be a positive number of seconds, got "often"/],
    ['no Elasticsearch', ['run'], { ...valid, ELASTIC_URL: undefined }, /ELASTIC_URL .*or ELASTIC_HOST: is required/],
    ['bad backfill start', ['backfill', '--from', 'last tuesday'], valid, /--from: must be ISO 8601/],
    ['backfill window backwards', ['backfill', '--from', '1h', '--to', '2h'], valid, /--from: must be before --to/],
    ['unreadable policy', ['run', '--audit-policy', '/nonexistent/policy.yaml'], valid, /AUDIT_POLICY_FILE/],
    ['invalid policy level', ['run', '--audit-policy', badPolicy], valid, /rules\[0\]\.level/],
    ['unknown option', ['run', '--frobnicate'], valid, /unknown option '--frobnicate'/],
    ['unknown source', ['run'], { ...valid, EKS_FORWARDER_SOURCE: 'sqs' }, /EKS_FORWARDER_SOURCE \/ --source: must be one of cloudwatch, kinesis/],
    ['push mode without a stream', ['run'], { ...valid, EKS_FORWARDER_SOURCE: 'kinesis' }, /EKS_FORWARDER_KINESIS_STREAM \/ --kinesis-stream: is required/],
    ['push mode with a bad cluster mapping', ['run', '--source', 'kinesis', '--kinesis-stream', 's'], { ...valid, EKS_FORWARDER_KINESIS_CLUSTERS: '/aws/eks/a/cluster' }, /EKS_FORWARDER_KINESIS_CLUSTERS .*not logGroup=cluster/],
    ['push mode with a bad start', ['run', '--source', 'kinesis', '--kinesis-stream', 's', '--kinesis-start', 'soon'], valid, /--kinesis-start: must be trim-horizon/],
    ['push mode through Linseed without a client certificate', ['run', '--source', 'kinesis', '--kinesis-stream', 's', '--sink', 'linseed'], { ...valid, ELASTIC_URL: undefined, LINSEED_ENDPOINT: 'https://tigera-linseed.tigera-elasticsearch.svc' }, /TLS_CRT_PATH.*: is required: Linseed requires a client certificate/],
    ['setup-subscription without a role or destination', ['setup-subscription', '--log-group', '/aws/eks/a/cluster', '--kinesis-stream', 's'], valid, /--role-arn or --destination-arn: is required/],
    [
      'several bad settings, each on its own line',
      ['run', '--page-limit', '0'],
      { ...valid, AWS_REGION: undefined, ELASTIC_SCHEME: 'ftp' },
      /configuration error: AWS_REGION \/ --region: is required.*\n.*configuration error: EKS_FORWARDER_PAGE_LIMIT \/ --page-limit: must be an integer.*\n.*configuration error: ELASTIC_SCHEME: must be http or https/,
    ],
  ])('%s', async (_name, args, env, message) => {
    const result = await runCli(args, env);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
  });
});
