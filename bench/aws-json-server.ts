import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Answers one request: status and JSON body; a non-200 body carries `__type`, as AWS's do. */
export type AwsJsonReply = (status: number, body: unknown) => void;

/**
 * A loopback server of an AWS JSON 1.1 API (the operation in `X-Amz-Target`, JSON in and out),
 * for the bench's synthetic services. `handle` gets the target and the parsed body; a body that
 * is not JSON is answered SerializationException here.
 */
export async function serveAwsJson(handle: (target: string, body: Record<string, unknown>, reply: AwsJsonReply) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply: AwsJsonReply = (status, body) => {
        const text = JSON.stringify(body);
        const headers: Record<string, string | number> = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `synthetic-${Date.now()}`, 'content-length': Buffer.byteLength(text) };
        if (status !== 200) headers['x-amzn-errortype'] = (body as { __type: string }).__type;
        res.writeHead(status, headers);
        res.end(text);
      };
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return reply(400, { __type: 'SerializationException', message: 'request body is not JSON' });
      }
      handle(String(req.headers['x-amz-target'] ?? ''), body, reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
