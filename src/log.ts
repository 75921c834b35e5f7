import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs on stderr (stdout carries command output such as summaries).
 * Credentials never reach a log line: they are redacted wherever they might appear.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: { app: 'eks-log-forwarder' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['*.secretAccessKey', '*.accessKeyId', '*.password', '*.apiKey', 'credentials', 'auth'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
