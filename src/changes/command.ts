import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Logger } from 'pino';
import { createReader } from '../components.js';
import type { VerifyReport } from '../pipeline/verify.js';
import type { SinkSettings } from '../settings.js';
import type { AuditReader } from '../sink/sink.js';
import { iso } from '../time.js';
import { changeLog, timeline, writeReport } from './changes.js';
import type { Completeness } from './html-report.js';
import { parseRequest } from './request.js';
import { changeLine, diffBlock, headerLine, jsonLine, useColour } from './text-output.js';
import { parseListen, startUiServer } from './ui-server.js';

/** stdout with back-pressure: a listing of a million changes streams, it is not held. */
async function out(chunk: string): Promise<void> {
  if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
}

/** What verify says of a range, for the report's banner. */
export function completenessOf(report: VerifyReport | undefined): Completeness {
  if (!report) return { state: 'not-verified', detail: '' };
  const detail = `verify ${report.window.from} .. ${report.window.to}: expected ${report.expected}, found ${report.found}, missing ${report.missing}, unexpected ${report.unexpected}, duplicates ${report.duplicates}`;
  return report.complete ? { state: 'complete', detail } : { state: 'incomplete', detail };
}

export interface ChangesCommandDeps {
  sink: SinkSettings;
  log: Logger;
  /** Runs `verify` over the window (needs the CloudWatch settings too); asked for only with --verify. */
  verify: (window: { from: number; to: number }) => Promise<VerifyReport>;
}

/** `changes`: the listing (text or JSON lines), with diffs, or the HTML report. */
export async function changesCommand(options: Record<string, unknown>, deps: ChangesCommandDeps): Promise<number> {
  const r = parseRequest(options);
  const keepNoise = options.keepNoise === true;
  const reader = createReader(deps.sink);
  const signal = new AbortController().signal;
  try {
    if (typeof options.html === 'string') {
      const verified = options.verify ? await deps.verify({ from: r.from, to: r.to }) : undefined;
      await htmlFile(options.html, reader, r, keepNoise, completenessOf(verified), signal);
      process.stderr.write(`wrote ${options.html}\n`);
      return verified && !verified.complete ? 1 : 0;
    }
    const lookBack = r.lookBack;
    if (options.json) {
      if (options.diff) for await (const v of changeLog(reader, r, signal)) await out(jsonLine(v.change, v, keepNoise));
      else for await (const c of timeline(reader, r, signal)) await out(jsonLine(c));
      return 0;
    }
    const colour = useColour(process.stdout);
    await out(headerLine());
    if (options.diff) {
      for await (const v of changeLog(reader, r, signal)) await out(changeLine(v.change, colour) + diffBlock(v, { keepNoise, lookBack, colour }));
    } else {
      for await (const c of timeline(reader, r, signal)) await out(changeLine(c, colour));
    }
    return 0;
  } finally {
    await reader.close();
  }
}

async function htmlFile(file: string, reader: AuditReader, r: ReturnType<typeof parseRequest>, keepNoise: boolean, completeness: Completeness, signal: AbortSignal): Promise<void> {
  const stream = createWriteStream(file);
  const header = { from: iso(r.from), to: iso(r.to), store: reader.store, cluster: reader.cluster, filters: r.filters, completeness, lookBack: r.lookBack, keepNoise, generatedAt: iso(Date.now()) };
  try {
    await writeReport(reader, r, header, async (chunk) => {
      if (!stream.write(chunk)) await once(stream, 'drain');
    }, keepNoise, signal);
  } finally {
    stream.end();
    await once(stream, 'close');
  }
}

/** `ui`: the views live, until SIGINT/SIGTERM. */
export async function uiCommand(options: Record<string, unknown>, deps: Omit<ChangesCommandDeps, 'verify'>): Promise<number> {
  const { host, port, exposed } = parseListen(String(options.listen ?? '127.0.0.1:8080'), options.allowPodNetwork === true);
  const reader = createReader(deps.sink);
  const server = await startUiServer({ reader, host, port, log: deps.log });
  if (exposed) deps.log.warn({ host, port }, 'ui listening beyond loopback (--allow-pod-network): anyone who reaches this address reads audit documents, request bodies included');
  deps.log.info({ url: server.url, store: reader.store, cluster: reader.cluster }, 'ui listening (read-only)');
  process.stderr.write(`ui: ${server.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  await reader.close();
  return 0;
}
