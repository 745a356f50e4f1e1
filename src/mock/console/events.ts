/**
 * The console's live feed: an in-process bus of this instance's answered requests (and of
 * state changes made through the control API), streamed to pages as server-sent events at
 * `GET /__mock/events` (WHATWG HTML §9.2). A short backlog lets a page that opens, or
 * reconnects with `Last-Event-ID`, see what it missed.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogEntry } from '../../http/index.js';

/** One answered API request, as the console's request log shows it. */
export interface RequestEvent {
  id: number;
  /** Wall-clock time the answer finished (ISO 8601). */
  at: string;
  method: string;
  path: string;
  status: number;
  /** Problem `code` of an error answer, else null. */
  code: string | null;
  tenant: string | null;
  key: string | null;
  requestId: string;
  /** The answer's rate-limit headers, by name. */
  rateLimit: Record<string, string>;
  ms: number;
}

const RATE_LIMIT_HEADER = /^(ratelimit|ratelimit-policy|x-ratelimit-.*|retry-after)$/i;

/** The rate-limit headers among an answer's (draft-ietf-httpapi-ratelimit-headers, X-RateLimit-*, Retry-After). */
function rateLimitOf(headers: LogEntry['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (RATE_LIMIT_HEADER.test(k)) out[k] = String(v);
  return out;
}

/** The SSE `data` of one request event. */
function serialise({ id, at, entry }: { id: number; at: number; entry: LogEntry }): string {
  const event: RequestEvent = {
    id,
    at: new Date(at).toISOString(),
    method: entry.method,
    path: entry.path,
    status: entry.status,
    code: entry.code,
    tenant: entry.tenantId,
    key: entry.keyId,
    requestId: entry.requestId,
    rateLimit: rateLimitOf(entry.headers),
    ms: Math.round(entry.ms * 100) / 100,
  };
  return JSON.stringify(event);
}

type Listener = (kind: 'request' | 'state', id: number, data: string) => void;

/** How many request events a new or reconnecting page may replay. */
const BACKLOG = 200;
/** A comment line this often keeps proxies and idle timers from closing the stream. */
const HEARTBEAT_MS = 15_000;

/** In-process publish/subscribe of request and state-change events, with a bounded backlog. */
export class ConsoleEvents {
  private seq = 0;
  /** Kept as log entries; serialised only when a page reads them (publishing stays cheap). */
  private readonly backlog: ({ id: number; at: number; entry: LogEntry } | undefined)[] = new Array(BACKLOG);
  private readonly listeners = new Set<Listener>();
  private readonly streams = new Set<ServerResponse>();

  /** Publishes one answered request (the pipeline's log entry). Cheap when nobody listens. */
  request(entry: LogEntry): void {
    const item = { id: ++this.seq, at: Date.now(), entry };
    this.backlog[item.id % BACKLOG] = item; // a ring: the oldest is overwritten
    if (this.listeners.size === 0) return;
    const data = serialise(item);
    for (const l of this.listeners) l('request', item.id, data);
  }

  /** Tells every page that tenant state, usage or the clock changed (they re-read /__mock/state). */
  stateChanged(): void {
    const data = JSON.stringify({ at: new Date().toISOString() });
    for (const l of this.listeners) l('state', this.seq, data);
  }

  /** Streams events to one page; replays the backlog after `Last-Event-ID` (all of it without one). */
  serve(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    const last = Number(req.headers['last-event-id'] ?? 0);
    for (let id = Math.max(this.seq - BACKLOG + 1, 1, Number.isFinite(last) ? last + 1 : 1); id <= this.seq; id++) {
      const e = this.backlog[id % BACKLOG]!;
      res.write(`id: ${e.id}\nevent: request\ndata: ${serialise(e)}\n\n`);
    }
    const listener: Listener = (kind, id, data) => res.write(`${kind === 'request' ? `id: ${id}\n` : ''}event: ${kind}\ndata: ${data}\n\n`);
    const beat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    beat.unref();
    this.listeners.add(listener);
    this.streams.add(res);
    const end = () => {
      clearInterval(beat);
      this.listeners.delete(listener);
      this.streams.delete(res);
    };
    res.on('close', end);
  }

  /** Ends every open stream (the server is closing; pages reconnect to whoever serves next). */
  close(): void {
    for (const res of this.streams) res.end();
    this.streams.clear();
    this.listeners.clear();
  }
}
