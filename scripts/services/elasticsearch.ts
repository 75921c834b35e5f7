// Elasticsearch 8.x for tests, fetched from Maven Central with mvn (no Docker, no elastic.co).
//
// The distribution used is `org.elasticsearch.distribution.integ-test-zip:elasticsearch`: the real
// bin/elasticsearch with a minimal module set (no ILM, no ingest-common, no `GET /` info endpoint;
// `flattened`, composable index templates and data streams work). The codelibs cluster runner,
// the other route, has no 8.x release on Maven Central.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { awaitReady, cacheDir, freePort, log, makeTempDir, run, runDir, serviceHandle, spawnService, tryGet, withLock, type Service, type StartOptions } from './cache.js';

export const ES_VERSION = '8.19.21';
const ARTIFACT = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip`;

const home = (): string => cacheDir(`elasticsearch-${ES_VERSION}`);
const dist = (): string => join(home(), 'dist');
const marker = (): string => join(home(), 'installed');
const installed = (): boolean => existsSync(marker()) && existsSync(join(dist(), 'bin', 'elasticsearch'));

// A mirror of everything to Central: the only Maven repository these machines reach.
const SETTINGS = (repo: string): string => `<settings>
  <localRepository>${repo}</localRepository>
  <mirrors><mirror><id>central</id><mirrorOf>*</mirrorOf><url>https://repo.maven.apache.org/maven2</url></mirror></mirrors>
</settings>
`;

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.eksfwd</groupId><artifactId>elasticsearch-fetch</artifactId><version>1</version>
  <packaging>pom</packaging>
</project>
`;

export async function install(): Promise<void> {
  if (installed()) return;
  await withLock('elasticsearch', async () => {
    if (installed()) return; // another process finished it meanwhile
    const started = Date.now();
    const logFile = join(home(), 'install.log');
    log(`installing Elasticsearch ${ES_VERSION} into ${home()} (log: ${logFile})`);
    writeFileSync(logFile, '');
    const settings = join(home(), 'settings.xml');
    writeFileSync(settings, SETTINGS(join(home(), 'm2')));
    const staging = join(home(), 'staging');
    rmSync(staging, { recursive: true, force: true });
    // An empty project, so unpack's bookkeeping lands in ./target rather than a literal ${project.basedir}.
    writeFileSync(join(home(), 'pom.xml'), POM);
    await run('mvn', ['-B', '-s', settings, 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack', `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${staging}`], logFile, { cwd: home() });
    // The zip holds one top-level folder, elasticsearch-<version>; swap it in whole.
    rmSync(dist(), { recursive: true, force: true });
    renameSync(join(staging, readdirSync(staging)[0]!), dist());
    for (const d of [staging, join(home(), 'target')]) rmSync(d, { recursive: true, force: true });
    rmSync(join(home(), 'm2', 'org', 'elasticsearch'), { recursive: true, force: true }); // the 100 MB zip; plugins stay cached
    writeFileSync(marker(), ES_VERSION);
    log(`Elasticsearch installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}

/** ES wants a JDK home; default to the one `java` on PATH belongs to. */
function javaHome(): string {
  if (process.env.ES_JAVA_HOME) return process.env.ES_JAVA_HOME;
  if (process.env.JAVA_HOME) return process.env.JAVA_HOME;
  const java = execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim();
  return dirname(dirname(realpathSync(java)));
}

/** Ready once the cluster is at least yellow (ES answers 408 while it is not). */
export async function ready(url: string): Promise<true | undefined> {
  const res = await tryGet(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`);
  return res?.status === 200 ? true : undefined;
}

export async function start(opts: StartOptions = {}): Promise<Service> {
  await install();
  const [port, transportPort] = [opts.reuse?.port ?? (await freePort()), await freePort()];
  const tmp = opts.reuse?.dataDir ?? makeTempDir('elasticsearch');
  const logFile = join(runDir(), `elasticsearch-${port}.log`);
  writeFileSync(logFile, '');
  // A private config dir: ES writes a keystore there, which must not touch the shared install.
  const conf = join(tmp, 'config');
  if (!opts.reuse) cpSync(join(dist(), 'config'), conf, { recursive: true });
  writeFileSync(
    join(conf, 'elasticsearch.yml'),
    [
      'cluster.name: eksfwd',
      'node.name: eksfwd-test',
      'network.host: 127.0.0.1',
      `http.port: ${port}`,
      `transport.port: ${transportPort}`,
      'discovery.type: single-node',
      'xpack.security.enabled: false',
      // A nearly full CI disk must not turn indices read-only or leave shards unassigned.
      'cluster.routing.allocation.disk.threshold_enabled: false',
      'action.destructive_requires_name: false', // tests clean up with wildcards
      `path.data: ${join(tmp, 'data')}`,
      `path.logs: ${join(tmp, 'logs')}`,
      '',
    ].join('\n'),
  );
  mkdirSync(join(tmp, 'tmp'), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ES_JAVA_HOME: javaHome(),
    ES_PATH_CONF: conf,
    ES_JAVA_OPTS: '-Xms512m -Xmx1g',
    ES_TMPDIR: join(tmp, 'tmp'),
    CLI_JAVA_OPTS: `-Djava.io.tmpdir=${join(tmp, 'tmp')}`, // the launcher's own temp files
  };
  // ES refuses to run as root. As root, run it as nobody, from a copy in the scratch dir
  // (0.1 s): nobody cannot read the cache under /root.
  const asRoot = process.getuid?.() === 0;
  const esHome = asRoot ? join(tmp, 'home') : dist();
  if (asRoot && !opts.reuse) {
    cpSync(dist(), esHome, { recursive: true });
    execFileSync('chown', ['-R', '65534:65534', tmp]);
  }
  const bin = join(esHome, 'bin', 'elasticsearch');
  const [cmd, args] = asRoot ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', bin]] : [bin, []];
  const started = Date.now();
  const child = spawnService(cmd, args, logFile, { env, cwd: tmp, detached: !!opts.detached });
  const url = `http://127.0.0.1:${port}`;
  await awaitReady('Elasticsearch', child, logFile, opts.timeoutMs ?? 180_000, () => ready(url), [tmp]);
  log(`Elasticsearch ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${child.pid})`);
  return serviceHandle({ url, pid: child.pid!, logFile, dataDir: tmp, port });
}
