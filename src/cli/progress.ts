import cliProgress from 'cli-progress';
import type { Stats } from '../pipeline/stats.js';

export interface Progress {
  stop(): void;
}

/**
 * Shows how far a backfill has come through its window: a bar on a terminal, a plain line
 * every few seconds otherwise (CI logs, `kubectl logs`).
 */
export function showProgress(stats: Stats, window: { from: number; to: number }, apiCalls: () => number): Progress {
  const span = Math.max(1, window.to - window.from);
  const percent = () => Math.min(100, Math.max(0, (((stats.newestForwarded ?? window.from) - window.from) / span) * 100));
  const fields = () => ({ events: stats.eventsRead, forwarded: stats.forwarded, pages: stats.pages, calls: apiCalls() });

  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: 'backfill |{bar}| {percentage}% | {events} read, {forwarded} forwarded | {pages} pages, {calls} calls | {duration_formatted}',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(100, 0, fields());
    const timer = setInterval(() => bar.update(Math.floor(percent()), fields()), 250);
    return {
      stop() {
        clearInterval(timer);
        bar.update(Math.floor(percent()), fields());
        bar.stop();
      },
    };
  }
  const timer = setInterval(() => {
    const f = fields();
    process.stderr.write(`backfill ${percent().toFixed(1)}%: ${f.events} read, ${f.forwarded} forwarded, ${f.pages} pages, ${f.calls} calls\n`);
  }, 5_000);
  return { stop: () => clearInterval(timer) };
}
