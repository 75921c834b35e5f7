import { setTimeout as sleep } from 'node:timers/promises';

/** Waits `ms` (until `stop` aborts) in steps, ticking at each, so a long wait still shows the loop alive. */
export async function waitTicking(ms: number, stop: AbortSignal, health?: { tick(): void }, stepMs = 5_000): Promise<void> {
  const end = Date.now() + Math.max(0, ms);
  health?.tick();
  while (!stop.aborted) {
    const left = end - Date.now();
    if (left <= 0) return;
    try {
      await sleep(Math.min(stepMs, left), undefined, { signal: stop });
    } catch {
      return;
    }
    health?.tick();
  }
}
