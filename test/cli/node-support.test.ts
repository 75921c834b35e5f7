import { describe, expect, it } from 'vitest';
import { nodeSupportNotice } from '../../src/node-support.js';
import { runCli } from '../support/cli.js';

describe('the Node 20 notice', () => {
  it('is one line naming the supported versions, once per process tree, and switches the SDK warning off', () => {
    const env: NodeJS.ProcessEnv = {};
    const notice = nodeSupportNotice(env, 'v20.20.2');
    expect(notice).toBe('eks-log-forwarder: Node v20.20.2 works; AWS SDK releases after January 2027 need Node 22 or later (tested: Node 20, 22, 24)');
    expect(env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
    expect(nodeSupportNotice(env, 'v20.20.2')).toBeUndefined();
  });

  it('says nothing on a current LTS', () => {
    expect(nodeSupportNotice({}, 'v22.21.1')).toBeUndefined();
    expect(nodeSupportNotice({}, 'v24.11.0')).toBeUndefined();
  });

  it('replaces the SDK\'s nine-line warning in a real CLI start', async () => {
    // A configuration error still builds no client; `doctor` builds the SDK clients and calls them.
    const r = await runCli(['doctor', '--json'], {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
      AWS_REGION: 'us-west-2',
      EKS_CLOUDWATCH_LOG_GROUP: '/aws/eks/x/cluster',
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: 'http://127.0.0.1:1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ELASTIC_URL: 'http://127.0.0.1:1',
    });
    expect(r.stderr).not.toContain('NodeVersionSupportWarning');
    const major = Number(process.versions.node.split('.')[0]);
    expect(r.stderr.split('\n').filter((l) => l.includes('need Node 22 or later'))).toHaveLength(major < 22 ? 1 : 0);
    // A whole CLI process (tsx compiles it first) with doctor's retries: seconds on a busy machine.
  }, 60_000);
});
