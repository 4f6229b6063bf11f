import type { Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { httpErrorBody } from './error-body';

// What Node itself answers to these, in TaskFlow's error shape.
const ANSWERS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'Request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive'],
};
const MALFORMED: [number, string, string] = [400, 'BAD_REQUEST', 'Malformed HTTP request'];

function rawResponse(errorCode: string | undefined): string {
  const [status, code, message] = (errorCode && ANSWERS[errorCode]) || MALFORMED;
  const body = JSON.stringify(httpErrorBody(status, code, message));
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * HTTP that Node's parser refuses (a bad request line, header or chunk) never
 * reaches a listener: answer it here and drop the connection. Only when nothing
 * was written on the connection yet, or the answer would land inside a response.
 * Slow clients get the same bounds on every server: 10 s for the headers, 30 s
 * for the whole request (Node's defaults, 60 s and 300 s, let a few hundred
 * slow connections sit on a server for minutes).
 */
export function answerClientErrors(server: Server): Server {
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const written = 'bytesWritten' in socket ? Number(socket.bytesWritten) : 0;
    if (error.code === 'ECONNRESET' || !socket.writable || written > 0) {
      socket.destroy();
      return;
    }
    socket.end(rawResponse(error.code), () => socket.destroy());
  });
  return server;
}
