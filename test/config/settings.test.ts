import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { resolveSettings, settingsFromEnv, validateSettings } from '../../src/settings.js';

const minimal = {
  AWS_REGION: 'us-west-2',
  EKS_CLOUDWATCH_LOG_GROUP: '/aws/eks/prod/cluster',
  ELASTIC_URL: 'https://es.example:9200',
};

function resolveEnv(env: Record<string, string>) {
  return resolveSettings(settingsFromEnv(env));
}

/** The Elasticsearch settings of settings that must have chosen Elasticsearch. */
function elasticOf(env: Record<string, string>) {
  const s = resolveEnv(env);
  if (s.sink !== 'elasticsearch') throw new Error(`chose ${s.sink}`);
  return s.elasticsearch;
}

describe('settings', () => {
  it('applies the original forwarder\'s defaults', () => {
    const s = resolveEnv(minimal);
    expect(s.cloudwatch.streamPrefix).toBe('kube-apiserver-audit-');
    expect(s.cloudwatch.fetchIntervalMs).toBe(60_000);
    expect(s.cloudwatch.requestsPerSecond).toBe(2);
    expect(elasticOf(minimal)).toMatchObject({ indexSuffix: 'cluster', deadLetterIndex: 'eks-log-forwarder-deadletter.cluster', sslVerify: true });
    expect(s.cloudwatch.awsCredentials).toBeUndefined();
  });

  it('builds the Elasticsearch URL from scheme, host and port like the original forwarder', () => {
    const { ELASTIC_URL: _, ...rest } = minimal;
    const es = elasticOf({ ...rest, ELASTIC_HOST: 'tigera-secure-es-http.tigera-elasticsearch.svc', ELASTIC_USER: 'u', ELASTIC_PASSWORD: 'p' });
    expect(es.node).toBe('https://tigera-secure-es-http.tigera-elasticsearch.svc:9200');
    expect(es.auth).toEqual({ username: 'u', password: 'p' });
  });

  it('prefilters the lateness sweeps by default; true and false keep their earlier meaning (every read, none)', () => {
    expect(resolveEnv(minimal).cloudwatch.prefilter).toBe('sweeps');
    expect(resolveEnv({ ...minimal, EKS_FORWARDER_PREFILTER: 'true' }).cloudwatch.prefilter).toBe('all');
    expect(resolveEnv({ ...minimal, EKS_FORWARDER_PREFILTER: 'false' }).cloudwatch.prefilter).toBe('off');
    expect(resolveEnv({ ...minimal, EKS_FORWARDER_PREFILTER: 'Sweeps' }).cloudwatch.prefilter).toBe('sweeps');
  });

  it('lets a later layer (flags) win over an earlier one (environment)', () => {
    const s = resolveSettings(settingsFromEnv(minimal), { fetchInterval: '5', streamPrefix: 'custom-' });
    expect(s.cloudwatch.fetchIntervalMs).toBe(5_000);
    expect(s.cloudwatch.streamPrefix).toBe('custom-');
  });

  it.each([
    [{ AWS_REGION: '' }, 'AWS_REGION / --region: is required'],
    [{ EKS_CLOUDWATCH_LOG_GROUP: '' }, 'EKS_CLOUDWATCH_LOG_GROUP / --group: is required'],
    [{ EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '0' }, 'EKS_CLOUDWATCH_LOG_FETCH_INTERVAL / --fetch-interval: must be a positive number'],
    [{ EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '-5' }, 'EKS_CLOUDWATCH_LOG_FETCH_INTERVAL / --fetch-interval: must be a positive number'],
    [{ EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: 'soon' }, 'EKS_CLOUDWATCH_LOG_FETCH_INTERVAL / --fetch-interval: must be a positive number'],
    [{ EKS_FORWARDER_REQUESTS_PER_SECOND: '9' }, 'EKS_FORWARDER_REQUESTS_PER_SECOND / --requests-per-second: must be above 0 and at most 5'],
    [{ EKS_FORWARDER_PAGE_LIMIT: '20000' }, 'EKS_FORWARDER_PAGE_LIMIT / --page-limit: must be an integer from 1 to 10000'],
    [{ ELASTIC_URL: 'not a url' }, 'ELASTIC_URL / --elastic-url: must be a URL'],
    [{ ELASTIC_URL: '', ELASTIC_HOST: '' }, 'ELASTIC_URL / --elastic-url or ELASTIC_HOST: is required'],
    [{ ELASTIC_SCHEME: 'ftp' }, 'ELASTIC_SCHEME: must be http or https'],
    [{ ELASTIC_SSL_VERIFY: 'maybe' }, 'ELASTIC_SSL_VERIFY: must be true or false'],
    [{ ELASTIC_USER: 'elastic' }, 'ELASTIC_PASSWORD: is required when ELASTIC_USER is set'],
    [{ ELASTIC_API_KEY: 'k', ELASTIC_USER: 'u', ELASTIC_PASSWORD: 'p' }, 'ELASTIC_API_KEY: cannot be combined with ELASTIC_USER'],
    [{ ELASTIC_INDEX_SUFFIX: 'Prod Cluster' }, 'ELASTIC_INDEX_SUFFIX / --index-suffix: must be lower case'],
    [{ EKS_FORWARDER_LATENESS_FLOOR: 'later' }, 'EKS_FORWARDER_LATENESS_FLOOR / --lateness-floor: must be a duration'],
    [{ EKS_FORWARDER_LATENESS_FLOOR: '20m' }, 'EKS_FORWARDER_LATENESS_FLOOR / --lateness-floor: must not exceed'],
    [{ EKS_FORWARDER_START_FROM: 'yesterday-ish' }, 'EKS_FORWARDER_START_FROM / --start-from: must be ISO 8601'],
    [{ EKS_FORWARDER_PREFILTER: 'head' }, 'EKS_FORWARDER_PREFILTER / --prefilter: must be sweeps, all or off'],
  ])('rejects %o naming the setting', (override, message) => {
    const attempt = () => resolveEnv({ ...minimal, ...override });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('reports every bad setting at once, each by name', () => {
    let error: ConfigError | undefined;
    try {
      resolveEnv({ ...minimal, AWS_REGION: '', EKS_FORWARDER_PAGE_LIMIT: '0', ELASTIC_SCHEME: 'ftp', ELASTIC_USER: 'u', EKS_FORWARDER_LATENESS_FLOOR: '20m' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.issues.map((i) => i.setting).sort()).toEqual(
      ['AWS_REGION / --region', 'EKS_FORWARDER_PAGE_LIMIT / --page-limit', 'ELASTIC_SCHEME', 'ELASTIC_PASSWORD', 'EKS_FORWARDER_LATENESS_FLOOR / --lateness-floor'].sort(),
    );
    expect(error!.message.split('\n')).toHaveLength(5);
  });

  it('in the cluster, checks now what is known and leaves what the LogCollector supplies for later, with no placeholder', () => {
    expect(validateSettings([{ elasticUrl: 'https://es:9200' }], { suppliedLater: ['region', 'groupName'] })).toBeUndefined();
    // An empty variable in a hand-made manifest is as good as none: the LogCollector supplies it.
    expect(validateSettings([{ elasticUrl: 'https://es:9200', region: ' ', groupName: '' }], { suppliedLater: ['region', 'groupName'] })).toBeUndefined();
    const error = validateSettings([{ elasticUrl: 'not a url' }], { suppliedLater: ['region', 'groupName'] });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.setting)).toEqual(['ELASTIC_URL / --elastic-url']);
  });

  it('rejects incomplete credentials with the operator\'s wording', () => {
    expect(() => resolveSettings(settingsFromEnv(minimal), { awsAccessKeyId: 'AKIA' })).toThrow(
      'incomplete Cloudwatch credentials',
    );
  });

  it('never puts a secret value into an error message', () => {
    let message = '';
    try {
      resolveEnv({ ...minimal, ELASTIC_PASSWORD: 's3cr3t-value' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('ELASTIC_USER');
    expect(message).not.toContain('s3cr3t-value');
  });

  it("takes the operator's EKS_CLOUDWATCH_POLL_INTERVAL (a duration) as the fetch interval, and refuses it disagreeing with the other", () => {
    expect(resolveEnv({ ...minimal, EKS_CLOUDWATCH_POLL_INTERVAL: '30s' }).cloudwatch.fetchIntervalMs).toBe(30_000);
    expect(resolveEnv({ ...minimal, EKS_CLOUDWATCH_POLL_INTERVAL: '30s', EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '30' }).cloudwatch.fetchIntervalMs).toBe(30_000);
    const err = validateSettings([settingsFromEnv({ ...minimal, EKS_CLOUDWATCH_POLL_INTERVAL: '30s', EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '60' })]);
    expect((err as ConfigError).message).toMatch(/EKS_CLOUDWATCH_LOG_FETCH_INTERVAL.*or EKS_CLOUDWATCH_POLL_INTERVAL: disagree/);
  });

  describe('the sink', () => {
    const { ELASTIC_URL: _, ...noElastic } = minimal;
    const operatorEnv = {
      ...noElastic,
      LINSEED_ENDPOINT: 'https://tigera-linseed.tigera-elasticsearch.svc',
      LINSEED_CA_PATH: '/etc/pki/tls/certs/tigera-ca-bundle.crt',
      TLS_CRT_PATH: '/tigera-eks-log-forwarder-tls/tls.crt',
      TLS_KEY_PATH: '/tigera-eks-log-forwarder-tls/tls.key',
      LINSEED_TOKEN: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      TENANT_ID: 'tenant-a',
    };

    it("is Linseed with the operator's forwarder's environment unchanged, when no Elasticsearch setting is there", () => {
      const s = resolveEnv(operatorEnv);
      if (s.sink !== 'linseed') throw new Error(`chose ${s.sink}`);
      expect(s.linseed).toEqual({
        endpoint: 'https://tigera-linseed.tigera-elasticsearch.svc',
        caFile: '/etc/pki/tls/certs/tigera-ca-bundle.crt',
        certFile: '/tigera-eks-log-forwarder-tls/tls.crt',
        keyFile: '/tigera-eks-log-forwarder-tls/tls.key',
        tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
        tenantId: 'tenant-a',
        clusterId: undefined,
      });
    });

    it('is Elasticsearch when an Elasticsearch setting is there too, unless EKS_FORWARDER_SINK names Linseed', () => {
      expect(resolveEnv({ ...operatorEnv, ELASTIC_URL: 'https://es:9200' }).sink).toBe('elasticsearch');
      expect(resolveEnv({ ...operatorEnv, ELASTIC_URL: 'https://es:9200', EKS_FORWARDER_SINK: 'linseed' }).sink).toBe('linseed');
    });

    it('validates only the chosen sink, and names what Linseed lacks', () => {
      const err = validateSettings([settingsFromEnv({ ...noElastic, EKS_FORWARDER_SINK: 'linseed', LINSEED_ENDPOINT: 'http://plain:80' })]);
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as ConfigError).message;
      expect(text).toContain('LINSEED_ENDPOINT');
      expect(text).toContain('must be an https URL');
      expect(text).toContain('TLS_CRT_PATH');
      expect(text).toContain('TLS_KEY_PATH');
      expect(text).not.toContain('ELASTIC_URL');
    });

    it('refuses an unknown sink, naming the setting', () => {
      const err = validateSettings([settingsFromEnv({ ...minimal, EKS_FORWARDER_SINK: 'kafka' })]);
      expect((err as ConfigError).message).toMatch(/EKS_FORWARDER_SINK.*must be one of elasticsearch, linseed/);
    });
  });
});
