// Runs the collector built by build.ts: the awscloudwatch receiver polling one log group, every
// record written by the file exporter, so the bench can count what the peer delivered.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ReceiverOptions {
  binary: string;
  /** CloudWatch endpoint the receiver talks to (the bench's counting proxy). */
  cloudwatch: string;
  group: string;
  streamPrefix: string;
  pollSeconds: number;
  /** Where it starts reading (RFC 3339; the receiver otherwise starts at the epoch). */
  startFrom: Date;
}

export interface RunningReceiver {
  pid: number;
  /** Stops the collector (it flushes the file exporter) and returns the message of every record it delivered. */
  stop(): Promise<{ exitCode: number | null; messages: string[]; stderrTail: string }>;
}

export function startReceiver(o: ReceiverOptions): RunningReceiver {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-otel-'));
  const out = path.join(dir, 'records.jsonl');
  const config = path.join(dir, 'config.yaml');
  // JSON is YAML: no YAML writer needed. Its own metrics are off (they would take port 8888).
  const cfg = {
    receivers: {
      aws_cloudwatch: {
        region: process.env.AWS_REGION ?? 'us-west-2',
        logs: {
          poll_interval: `${o.pollSeconds}s`,
          start_from: o.startFrom.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          groups: { named: { [o.group]: { prefixes: [o.streamPrefix] } } },
        },
      },
    },
    exporters: { file: { path: out } },
    service: {
      telemetry: { metrics: { level: 'none' }, logs: { level: 'warn' } },
      pipelines: { logs: { receivers: ['aws_cloudwatch'], exporters: ['file'] } },
    },
  };
  writeFileSync(config, JSON.stringify(cfg, null, 2));
  const child: ChildProcess = spawn(o.binary, ['--config', config], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: o.cloudwatch,
      AWS_REGION: process.env.AWS_REGION ?? 'us-west-2',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));

  return {
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      const exitCode = await exited;
      let text = '';
      try {
        text = readFileSync(out, 'utf8');
      } catch {
        // nothing exported
      }
      rmSync(dir, { recursive: true, force: true });
      return { exitCode, messages: recordMessages(text), stderrTail: stderr.split('\n').slice(-15).join('\n') };
    },
  };
}

/** The body of every log record in the file exporter's OTLP JSON lines. */
export function recordMessages(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const batch = JSON.parse(line) as { resourceLogs?: { scopeLogs?: { logRecords?: { body?: { stringValue?: string } }[] }[] }[] };
    for (const rl of batch.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) for (const r of sl.logRecords ?? []) out.push(r.body?.stringValue ?? '');
  }
  return out;
}
