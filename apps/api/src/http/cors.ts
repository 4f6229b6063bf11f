import cors from '@fastify/cors';
import { HttpError } from '@taskflow/http-guard';
import type { FastifyInstance } from 'fastify';

/**
 * CORS for the origins in ALLOWED_ORIGINS ("*" allows any): an allowed origin is echoed
 * back; any other gets no CORS headers, and its preflight a 403. The options are static
 * (normalized once, not per request: most callers are not browsers and send no Origin).
 */
export async function registerCors(app: FastifyInstance, allowedOrigins: string[]): Promise<void> {
  const any = allowedOrigins.includes('*');
  const listed = new Set(allowedOrigins);
  const allowed = (origin: string | undefined) =>
    origin !== undefined && (any || listed.has(origin));
  // @fastify/cors would answer a refused preflight 204 (with its method and header lists).
  app.addHook('onRequest', async (request) => {
    if (
      request.method === 'OPTIONS' &&
      request.headers['access-control-request-method'] &&
      !allowed(request.headers.origin)
    )
      throw new HttpError(403, 'FORBIDDEN', 'This origin may not call the API');
  });
  await app.register(cors, {
    origin: (origin, callback) => callback(null, allowed(origin)),
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: [
      'authorization',
      'content-type',
      'x-request-id',
      'x-taskflow-client',
      'trpc-accept',
      'if-match',
      'idempotency-key',
    ],
    exposedHeaders: [
      'ETag',
      'WWW-Authenticate',
      'X-Request-Id',
      'Idempotent-Replayed',
      'Link',
      'X-Next-Cursor',
    ],
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
}
