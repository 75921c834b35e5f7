// Headless Chromium for the browser tests, from Debian's `chromium` package: downloaded with
// apt-get and unpacked into the cache (no system install, no browser download from a CDN). The
// machine's own libraries serve the rest; those it lacks come from the packages below, and a
// library still missing fails the install naming it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, log, readFileSafe, run, withLock } from './cache.js';

/** Chromium and the libraries of its closure a Debian 12 machine without a desktop lacks. */
const PACKAGES = [
  'chromium', 'chromium-common',
  'libopenh264-7', 'libdouble-conversion3', 'libharfbuzz-subset0', 'libpulse0', 'libflac12', 'libopus0', 'libxnvctrl0', 'libminizip1', 'libopenjp2-7',
  'libogg0', 'libsndfile1', 'libasyncns0', 'libmp3lame0', 'libmpg123-0', 'libvorbis0a', 'libvorbisenc2',
];

export interface Chromium {
  executablePath: string;
  /** LD_LIBRARY_PATH for the unpacked libraries. */
  env: Record<string, string>;
}

/** The candidate version apt would install, or undefined when apt knows no chromium (lists not updated). */
function candidate(): string | undefined {
  let policy: string;
  try {
    policy = execFileSync('apt-cache', ['policy', 'chromium'], { encoding: 'utf8' });
  } catch (err) {
    throw new Error(`the browser tests take Chromium from Debian's packages, and apt-cache failed here: ${(err as Error).message}`);
  }
  const version = /Candidate:\s*(\S+)/.exec(policy)?.[1];
  return version && version !== '(none)' ? version : undefined;
}

function layout(root: string): Chromium {
  const lib = join(root, 'usr', 'lib', 'x86_64-linux-gnu');
  return {
    executablePath: join(root, 'usr', 'lib', 'chromium', 'chromium'),
    env: { LD_LIBRARY_PATH: [join(root, 'usr', 'lib', 'chromium'), lib, join(lib, 'pulseaudio'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
  };
}

/** Installs (once per version) and returns Chromium from the cache. */
export async function installChromium(): Promise<Chromium> {
  return withLock('chromium', async () => {
    let version = candidate();
    if (!version) {
      await updateLists('apt knows no chromium package');
      version = candidate();
      if (!version) throw new Error('apt has no chromium package: Debian’s main archive must be reachable');
    }
    const root = cacheDir(`chromium-${version.replaceAll(/[^\w.-]/g, '_')}`);
    const marker = join(root, 'installed');
    if (readFileSafe(marker) === PACKAGES.join(' ')) return layout(root);
    const started = Date.now();
    log(`installing Chromium ${version} from Debian's packages into ${root}`);
    const debs = join(root, 'debs');
    rmSync(debs, { recursive: true, force: true });
    mkdirSync(debs);
    const logFile = join(root, 'install.log');
    const download = () => run('apt-get', ['download', ...PACKAGES], logFile, { cwd: debs });
    await download().catch(async () => {
      // Old lists name packages the archive has replaced (Chromium moves with security updates).
      await updateLists('apt-get download failed');
      if (candidate() !== version) throw new Error('Chromium changed version while installing: run the tests again');
      await download();
    });
    for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb'))) await run('dpkg-deb', ['-x', join(debs, deb), root], logFile);
    rmSync(debs, { recursive: true, force: true });
    const chromium = layout(root);
    if (!existsSync(chromium.executablePath)) throw new Error(`no ${chromium.executablePath} after unpacking chromium`);
    const missing = execFileSync('ldd', [chromium.executablePath], { encoding: 'utf8', env: { ...process.env, ...chromium.env } })
      .split('\n')
      .filter((l) => l.includes('not found'))
      .map((l) => l.trim().split(' ')[0]);
    if (missing.length > 0) throw new Error(`Chromium needs libraries this machine lacks: ${missing.join(', ')} (add their packages to PACKAGES in scripts/services/chromium.ts)`);
    writeFileSync(marker, PACKAGES.join(' '));
    log(`Chromium installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return chromium;
  });
}

async function updateLists(why: string): Promise<void> {
  log(`${why}: updating apt's lists (apt-get update)`);
  try {
    await run('apt-get', ['update'], join(cacheDir('chromium'), 'apt-update.log'));
  } catch (err) {
    const hint = process.getuid?.() === 0 ? '' : ' (as root: `sudo apt-get update`, then run the tests again)';
    throw new Error(`apt-get update failed${hint}: ${(err as Error).message}`);
  }
}
