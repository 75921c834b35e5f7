// Builds the OpenTelemetry collector holding the awscloudwatch receiver (the bench's peer) with
// the OpenTelemetry Collector Builder, from the Go module proxy, into the project's cache
// outside the repo, once per manifest (about 7 minutes cold on 2 cores).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, log, readFileSafe, run, withLock } from '../../scripts/services/cache.js';

const MANIFEST = fileURLToPath(new URL('./builder-config.yaml', import.meta.url));
/** The builder's release: the same as the manifest's core modules (they must all agree). */
const BUILDER = 'go.opentelemetry.io/collector/cmd/builder@v0.158.0';

const manifest = (): string => readFileSync(MANIFEST, 'utf8');
const fingerprint = (): string => createHash('sha256').update(BUILDER).update(manifest()).digest('hex');
const home = (): string => cacheDir('otelcol-cwpeer');
const binary = (): string => join(home(), 'build', 'otelcol-cwpeer');
const marker = (): string => join(home(), 'installed');
const installed = (): boolean => existsSync(binary()) && readFileSafe(marker()) === fingerprint();

/** Why the receiver cannot be built here (no Go), or undefined when it can. */
export function receiverUnavailable(): string | undefined {
  if (installed()) return undefined;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  return go.error || go.status !== 0 ? `Go is not installed (\`go version\` failed: ${go.error?.message ?? go.stderr.trim()}); the OpenTelemetry receiver is not built or run` : undefined;
}

/** The collector binary, built into the cache unless this manifest's build is already there. */
export async function buildReceiver(): Promise<string> {
  if (installed()) return binary();
  await withLock('otelcol-cwpeer', async () => {
    if (installed()) return;
    const logFile = join(home(), 'install.log');
    log(`building the OpenTelemetry awscloudwatch receiver into ${home()} (log: ${logFile}); ~7 minutes cold`);
    rmSync(marker(), { force: true });
    writeFileSync(logFile, '');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GOBIN: join(home(), 'bin'),
      GOWORK: 'off',
      // The checksum database does not know these releases (see README.md).
      GOSUMDB: 'off',
      GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=mod`.trim(),
    };
    await run('go', ['install', BUILDER], logFile, { cwd: home(), env });
    // The manifest as copied, with its output in the cache rather than beside it.
    const config = join(home(), 'builder-config.yaml');
    writeFileSync(config, manifest().replace(/^(\s*output_path:).*$/m, `$1 ${join(home(), 'build')}`));
    await run(join(home(), 'bin', 'builder'), ['--config', config], logFile, { cwd: home(), env });
    if (!existsSync(binary())) throw new Error(`the builder finished but ${binary()} is missing; see ${logFile}`);
    writeFileSync(marker(), fingerprint());
  });
  return binary();
}
