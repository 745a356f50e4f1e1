/**
 * Requests Node's HTTP parser refuses (headers over the size limit, a bad request line, a body
 * cut short) never reach the pipeline. This answers them as problems too, instead of Node's bare
 * 400/431, and, like Node's default handler, only on a connection not answered yet.
 * @module
 */
import { maxHeaderSize, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ContractModel } from '../contract/index.js';
import { problem, PROBLEM_CONTENT_TYPE } from '../policy/index.js';
import { requestIdOf } from './request-id.js';

/** Installs the problem answer for parser errors on `server`; `model` is read per error (hot reload). */
export function answerClientErrors(server: Server, model: () => ContractModel): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex & { bytesWritten?: number }) => {
    if (err.code === 'ECONNRESET' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable || socket.bytesWritten) return void socket.destroy();
    const code = err.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : 'invalid_request';
    const requestId = requestIdOf(undefined);
    const detail =
      code === 'headers_too_large'
        ? `The request headers exceed ${Math.round(maxHeaderSize / 1024)} KB.`
        : `The request is not valid HTTP/1.1 (${err.code ?? err.message}).`;
    const { instance: _unknown, ...body } = problem(model(), code, { instance: '', requestId, detail });
    const text = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${text}`,
    );
  });
}
