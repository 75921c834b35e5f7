// Node.js releases other than the one running, for testing the forwarder on current LTS lines.
// The official binaries are also published on the npm registry as `node-<platform>-<arch>`
// (the packages behind npm's `node` package), which these machines can reach where nodejs.org
// is not; they are unpacked once into the cache.
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, log, run, withLock } from './services/cache.js';

/** The LTS lines the forwarder must run on besides the machine's Node 20 (the image uses 22). */
export const LTS_NODE_VERSIONS = ['22.23.3', '24.21.0'] as const;

/** Path of the `node` binary of `version`, downloading and unpacking it on first use. */
export async function ensureNode(version: string): Promise<string> {
  const dir = cacheDir('node', version);
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  return withLock(`node-${version}`, async () => {
    if (existsSync(bin)) return bin;
    // Left by a download that was killed: nobody else holds this version's lock.
    for (const f of readdirSync(cacheDir('node'))) if (f.startsWith(`.partial-${version}-`)) rmSync(join(cacheDir('node'), f), { recursive: true, force: true });
    const work = mkdtempSync(join(cacheDir('node'), `.partial-${version}-`));
    const logFile = join(work, 'install.log');
    try {
      const pkg = `node-${process.platform}-${process.arch}@${version}`;
      log(`fetching Node ${version} (${pkg}) from the npm registry`);
      await run('npm', ['pack', pkg, '--pack-destination', work, '--silent'], logFile);
      const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
      if (!tgz) throw new Error(`npm pack ${pkg} produced no tarball`);
      await run('tar', ['xzf', join(work, tgz), '-C', work], logFile);
      if (!existsSync(join(work, 'package', 'bin', 'node'))) throw new Error(`${pkg} has no bin/node`);
      rmSync(join(work, tgz));
      rmSync(dir, { recursive: true, force: true });
      renameSync(work, dir); // whole or not at all
      return bin;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}
