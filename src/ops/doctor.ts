import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import type { CheckpointStore } from '../checkpoint/checkpoint.js';
import { FileCheckpointStore } from '../checkpoint/file-store.js';
import type { DoctorContext, DoctorResult } from '../component.js';
import type { ConfigError } from '../config/errors.js';
import { errorText, maskSecrets } from '../error-text.js';

export type { DoctorResult } from '../component.js';

/** What `doctor` checks with valid settings: each component's checks, then the checkpoint. */
export interface DoctorPlan {
  /** One line saying what is configured (no secret). */
  configuration: string;
  /** The components' checks, in order (the source's, then the sink's). */
  components: ((ctx: DoctorContext) => Promise<DoctorResult[]>)[];
  checkpoint: CheckpointStore;
  /** A saved position as a person reads it. */
  describe: (position: unknown) => string;
}

export interface DoctorOptions {
  /** Every check's name, in order (reported as not run when the configuration is invalid). */
  checkNames: readonly string[];
  /** Per request (default 10 s). */
  timeoutMs?: number;
  now?: () => number;
}

/**
 * Runs the checks in order and says what to fix. With invalid settings the first verdict names
 * them and the rest are reported as not run. Never shows a credential.
 */
export async function runDoctor(plan: DoctorPlan | ConfigError, opts: DoctorOptions): Promise<DoctorResult[]> {
  if (plan instanceof Error) {
    return [
      {
        name: 'configuration',
        ok: false,
        detail: maskSecrets(plan.message.replaceAll('\n', '; ')),
        hint: 'fix the named setting (flag or environment variable; see the configuration table in the README)',
      },
      ...opts.checkNames.slice(1).map((name) => ({ name, ok: false, skipped: true, detail: 'not checked: the configuration is not valid' })),
    ];
  }
  const ctx: DoctorContext = { timeoutMs: opts.timeoutMs ?? 10_000, now: opts.now ?? Date.now };
  const results: DoctorResult[] = [{ name: 'configuration', ok: true, detail: plan.configuration }];
  for (const checks of plan.components) results.push(...(await checks(ctx)));
  results.push(await checkpointCheck(plan.checkpoint, plan.describe));
  return results;
}

async function checkpointCheck(store: CheckpointStore, describe: (position: unknown) => string): Promise<DoctorResult> {
  const name = 'checkpoint';
  let detail: string;
  try {
    const cp = await store.load();
    detail = cp
      ? `${store.location}: ${describe(cp.position)}, updated ${cp.updatedAt}`
      : `none yet at ${store.location}: a first run starts a lateness ceiling before the newest indexed document of this log group, else at --start-from, else one hour ago`;
  } catch (err) {
    return {
      name,
      ok: false,
      detail: `${store.location}: ${errorText(err)}`,
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

