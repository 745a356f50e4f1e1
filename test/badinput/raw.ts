/**
 * A raw HTTP/1.1 client on node:net for the bad-input catalogue: it sends bytes exactly as
 * given (no normalisation of `..`, no header validation, no UTF-8 repair), can stop sending
 * when the answer arrives, and parses the one response it gets.
 */
import { connect } from 'node:net';

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: any;
  /** Body bytes written before the answer arrived. */
  sentBefore: number;
  /** Milliseconds from connect to the first byte of the answer. */
  ms: number;
}

export interface RawOptions {
  /** Request line and headers, without the final blank line. */
  head: string | Buffer;
  /** Body chunks, written one after another (after `delayMs` each) until the answer starts. */
  chunks?: (string | Buffer)[];
  delayMs?: number;
  /** Half-close the connection after the last chunk (a body cut short). */
  end?: boolean;
  timeoutMs?: number;
}

/** Sends one request on a fresh connection to `port` on loopback and resolves its answer. */
export function rawRequest(port: number, options: RawOptions): Promise<RawReply> {
  const { head, chunks = [], delayMs = 0, end = false, timeoutMs = 10_000 } = options;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const started = performance.now();
    let answered = -1;
    let sent = 0;
    const received: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer in ${timeoutMs} ms (${Buffer.concat(received).length} bytes received, ${sent} body bytes sent)`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve(parse(Buffer.concat(received), sent, answered));
      } catch (err) {
        reject(err);
      }
    };
    socket.on('data', (d) => {
      if (answered < 0) answered = performance.now() - started;
      received.push(d);
      // Complete once the declared body has arrived.
      const all = Buffer.concat(received);
      const split = all.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(all.subarray(0, split).toString('latin1'));
      if (split >= 0 && length && all.length - split - 4 >= Number(length[1])) finish();
    });
    socket.on('end', finish);
    socket.on('error', (err) => (received.length ? finish() : (clearTimeout(timer), reject(err))));
    socket.on('connect', async () => {
      socket.write(Buffer.concat([Buffer.isBuffer(head) ? head : Buffer.from(head, 'latin1'), Buffer.from('\r\n\r\n')]));
      for (const chunk of chunks) {
        if (answered >= 0 || socket.destroyed) break;
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        if (answered >= 0 || socket.destroyed) break;
        const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'latin1');
        socket.write(data);
        sent += data.length;
      }
      if (end && !socket.destroyed) socket.end();
    });
  });
}

function parse(data: Buffer, sentBefore: number, ms: number): RawReply {
  const split = data.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no HTTP answer: ${JSON.stringify(data.toString('latin1').slice(0, 200))}`);
  const [statusLine, ...lines] = data.subarray(0, split).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const text = data.subarray(split + 4).toString('utf8');
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, text, body, sentBefore, ms };
}
