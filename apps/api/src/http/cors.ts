import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOWED_HEADERS =
  'authorization, content-type, x-request-id, x-taskflow-client, trpc-accept, if-match';
const ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';

/**
 * Sets CORS headers for allowed origins. Returns true when the request was a
 * preflight and has been answered.
 */
export function applyCors(
  req: IncomingMessage,
  res: ServerResponse,
  allowedOrigins: string[],
): boolean {
  const origin = req.headers.origin;
  res.setHeader('Vary', 'Origin');
  const allowed =
    origin !== undefined && (allowedOrigins.includes(origin) || allowedOrigins.includes('*'));
  if (allowed) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', 'ETag, WWW-Authenticate, X-Request-Id');
  }
  if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return false;
  if (allowed) {
    res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
  }
  res.statusCode = allowed ? 204 : 403;
  res.end();
  return true;
}
