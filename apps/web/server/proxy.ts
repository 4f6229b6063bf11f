import { type IncomingMessage, request, type ServerResponse } from 'node:http';
import { sendHttpError } from '@taskflow/http-guard';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
]);

/** Headers a client could send to pose as someone else; this proxy states the facts itself. */
function isForwardingHeader(name: string): boolean {
  return name === 'forwarded' || name === 'x-real-ip' || name.startsWith('x-forwarded-');
}

/**
 * Forwards one request to `target` (http://host:port), streaming both ways.
 * The upstream sees the client's real address in X-Forwarded-For (the socket's,
 * never one the client wrote), so its rate limits key on the real client.
 */
export function proxy(req: IncomingMessage, res: ServerResponse, target: URL): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !isForwardingHeader(name))
      headers[name] = value;
  }
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  headers['x-forwarded-host'] = req.headers.host ?? '';
  headers['x-forwarded-proto'] = 'http';
  headers.host = target.host;
  let upstream: ReturnType<typeof request>;
  try {
    upstream = request(
      { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (answer) => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
        }
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
      },
    );
  } catch {
    // Node refuses to send some targets and header values it accepted (ERR_UNESCAPED_CHARACTERS).
    sendHttpError(res, 400, 'BAD_REQUEST', 'The request cannot be forwarded');
    return;
  }
  upstream.on('error', () =>
    sendHttpError(
      res,
      503,
      'SERVICE_UNAVAILABLE',
      'TaskFlow is unavailable right now; try again shortly',
    ),
  );
  req.pipe(upstream);
}
