// The repository stands on its own: a copy of the working tree (tracked files plus untracked ones
// that are not ignored, so uncommitted work counts), placed where no shared directory sits beside it,
// installs from its own lockfile and passes the unit project without any service and without
// EKS_FORWARDER_CORPUS. Nothing under the code directories may point outside the repository.
//
// In the integration project on purpose: the unit project it runs must not contain it.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CODE_DIRS = ['src', 'test', 'bench', 'scripts', 'localstack'];
// Built from parts so that this file does not match its own check.
const FORBIDDEN = ['..' + '/shared', '/work' + '/shared'];
/** The same escape as path segments: a quoted '..' then a quoted shared, as path.join arguments. */
const FORBIDDEN_SEGMENTS = /(['"`])\.\.\1\s*,\s*(['"`])shared\2/;
const MINUTE = 60_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
}

/** Runs a command in its own process group (killed whole on timeout); stdout and stderr interleaved. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutMs} ms]\n`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ms: Math.round(performance.now() - started) });
    });
  });
}

const tail = (s: string, n = 8_000) => (s.length > n ? `…${s.slice(-n)}` : s);
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

/** Paths (relative, '/'-separated) of tracked files and untracked files that are not ignored. */
function workingTreeFiles(): string[] {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`git ls-files: ${r.error.message} (this test needs git and a checkout)`);
  if (r.status !== 0) throw new Error(`git ls-files exited ${r.status}: ${r.stderr}`);
  return [...new Set(r.stdout.split('\0').filter((f) => f.length > 0))];
}

/** Copies the working tree's files (as they are on disk, uncommitted changes included) into dest. */
function copyWorkingTree(dest: string): number {
  let copied = 0;
  for (const rel of workingTreeFiles()) {
    const from = path.join(REPO_ROOT, rel);
    let st;
    try {
      st = lstatSync(from);
    } catch {
      continue; // tracked but deleted in the working tree
    }
    const to = path.join(dest, rel);
    mkdirSync(path.dirname(to), { recursive: true });
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (st.isFile()) copyFileSync(from, to); // keeps the mode (executable scripts)
    else continue; // a submodule's directory: none here
    copied++;
  }
  return copied;
}

function* filesUnder(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* filesUnder(p);
    } else if (entry.isFile()) yield p;
  }
}

/** The environment of the outer run minus everything that points at services, the corpus or vitest itself. */
function standaloneEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  const drop = new Set(['EKS_FORWARDER_CORPUS', 'ELASTIC_URL', 'ELASTIC_HOST', ...Object.keys(inject('services') ?? {})]);
  for (const key of Object.keys(env)) {
    if (drop.has(key) || key.startsWith('VITEST') || key.startsWith('AWS_ENDPOINT_URL')) delete env[key];
  }
  return env;
}

interface JsonReport {
  success: boolean;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numFailedTestSuites: number;
  testResults: { name: string; status: string }[];
}

describe('a copy of the repository with nothing beside it', () => {
  let tmp: string;
  let copy: string;
  let copied = 0;

  beforeAll(() => {
    // A fresh directory of its own: the copy's parent holds nothing but the copy and a report.
    tmp = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-standalone-'));
    copy = path.join(tmp, 'eks-log-forwarder');
    mkdirSync(copy);
    copied = copyWorkingTree(copy);
  });

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  });

  it('has no shared directory beside it and no reference to one', () => {
    expect(copied).toBeGreaterThan(50);
    expect(existsSync(path.join(copy, 'package-lock.json'))).toBe(true);
    expect(readdirSync(path.dirname(copy))).toEqual([path.basename(copy)]);
    expect(existsSync(path.join(tmp, 'shared'))).toBe(false);

    const offenders: string[] = [];
    let scanned = 0;
    for (const dir of CODE_DIRS) {
      for (const file of filesUnder(path.join(copy, dir))) {
        scanned++;
        const text = readFileSync(file, 'utf8');
        const rel = path.relative(copy, file);
        text.split('\n').forEach((line, i) => {
          if (FORBIDDEN.some((s) => line.includes(s)) || FORBIDDEN_SEGMENTS.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim().slice(0, 160)}`);
        });
      }
    }
    expect(scanned).toBeGreaterThan(50);
    expect(offenders, 'files that reach outside the repository').toEqual([]);
  });

  it(
    'installs from its lockfile and passes the unit project without services or EKS_FORWARDER_CORPUS',
    async () => {
      const env = standaloneEnv();
      // The copy's own temporary files (tests that leave theirs behind, tsx's cache) go inside tmp too.
      const childTmp = path.join(tmp, 'tmp');
      mkdirSync(childTmp);
      env.TMPDIR = env.TMP = env.TEMP = childTmp;
      const install = await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], copy, env, 15 * MINUTE);
      expect(install.code, `npm ci failed:\n${tail(install.output)}`).toBe(0);

      const report = path.join(tmp, 'unit-report.json');
      const unit = await run('npx', ['--no', '--', 'vitest', 'run', '--project', 'unit', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], copy, env, 10 * MINUTE);
      const out = plain(unit.output);
      console.info(`standalone copy: npm ci ${(install.ms / 1000).toFixed(1)} s, unit project ${(unit.ms / 1000).toFixed(1)} s`);
      expect(unit.code, `unit project failed in the copy:\n${tail(out)}`).toBe(0);
      expect(out).toMatch(/Test Files\s+\d+ passed/);
      expect(out).not.toMatch(/Test Files\s+.*failed/);

      const json = JSON.parse(readFileSync(report, 'utf8')) as JsonReport;
      expect(json.success).toBe(true);
      expect(json.numFailedTests).toBe(0);
      expect(json.numFailedTestSuites).toBe(0);
      expect(json.numPassedTests).toBeGreaterThanOrEqual(100);

      // Every unit test file of the copy ran (none silently left out), and none from the integration project.
      const ran = json.testResults.map((r) => path.relative(copy, r.name).split(path.sep).join('/')).sort();
      const expected = [...filesUnder(path.join(copy, 'test'))]
        .map((f) => path.relative(copy, f).split(path.sep).join('/'))
        .filter((f) => f.endsWith('.test.ts') && !f.endsWith('.integration.test.ts'))
        .sort();
      expect(ran).toEqual(expected);
      expect(json.testResults.every((r) => r.status === 'passed')).toBe(true);
    },
    30 * MINUTE,
  );
});
