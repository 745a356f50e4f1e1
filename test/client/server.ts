/**
 * A scripted HTTP server on 127.0.0.1:0 for client tests: each test says what the server answers,
 * and reads back every request it received (method, path, headers, body, arrival time).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** ms since the server started */
  at: number;
}

/** Answers one request; `index` counts requests from 0. May be async. */
export type Responder = (seen: Seen, res: ServerResponse, index: number, req: IncomingMessage) => unknown;

export interface Scripted {
  url: string;
  requests: Seen[];
  close(): Promise<void>;
}

/** Starts a server; `script` is a list (the last step repeats) or one responder for every request. */
export async function scripted(script: Responder | Responder[]): Promise<Scripted> {
  const requests: Seen[] = [];
  const started = performance.now();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const seen: Seen = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: performance.now() - started,
    };
    const index = requests.push(seen) - 1;
    const step = Array.isArray(script) ? script[Math.min(index, script.length - 1)]! : script;
    try {
      await step(seen, res, index, req);
    } catch (err) {
      res.statusCode = 599;
      res.end(String(err));
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers JSON with a status and headers. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Responder {
  return (_seen, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

/** Answers an RFC 9457 problem with `code` (and extra members). */
export function problem(status: number, code: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}): Responder {
  return (_seen, res) => {
    res.writeHead(status, { 'content-type': 'application/problem+json', 'x-request-id': 'req_test', ...headers });
    res.end(
      JSON.stringify({
        type: `https://docs.traceloom.dev/errors#${code}`,
        title: code,
        status,
        code,
        request_id: 'req_test',
        retryable: status === 429 || status >= 500,
        ...extra,
      }),
    );
  };
}

/** Answers 204 with headers. */
export function empty(status = 204, headers: Record<string, string> = {}): Responder {
  return (_seen, res) => {
    res.writeHead(status, headers);
    res.end();
  };
}

/** Resets the connection without answering (after the request body was read). */
export const reset: Responder = (_seen, res) => {
  res.socket?.destroy();
};

/** Answers after `ms`. */
export function delayed(ms: number, then: Responder): Responder {
  return (seen, res, index, req) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => resolve(void then(seen, res, index, req)), ms);
      res.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
}

/** A trace for the ingest operations, with a deterministic id. */
export function trace(i: number, extra: Record<string, unknown> = {}) {
  return {
    trace_id: `tr_${i.toString(16).padStart(16, '0')}`,
    name: 'test',
    start_time: '2026-03-03T12:00:00Z',
    status: 'ok' as const,
    spans: [],
    ...extra,
  };
}

/** The traces of a batch request. */
export function tracesOf(seen: Seen): { trace_id: string }[] {
  return (JSON.parse(seen.body) as { traces: { trace_id: string }[] }).traces;
}

/** A 202 batch answer accepting every trace of the request. */
export const acceptAll: Responder = (seen, res) => {
  const traces = tracesOf(seen);
  res.writeHead(202, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      accepted: traces.length,
      rejected: 0,
      results: traces.map((t, index) => ({ index, trace_id: t.trace_id, status: 'accepted' })),
    }),
  );
};
