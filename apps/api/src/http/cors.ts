import cors, { type FastifyCorsOptions } from '@fastify/cors';
import { HttpError } from '@taskflow/http-guard';
import type { FastifyInstance } from 'fastify';

const BASE: FastifyCorsOptions = {
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
  exposedHeaders: ['ETag', 'WWW-Authenticate', 'X-Request-Id', 'Idempotent-Replayed'],
  maxAge: 600,
  optionsSuccessStatus: 204,
};
const ALLOW: FastifyCorsOptions = { ...BASE, origin: true };
const DENY: FastifyCorsOptions = { ...BASE, origin: false };

/**
 * CORS for the origins in ALLOWED_ORIGINS ("*" allows any): an allowed origin is echoed
 * back; any other gets no CORS headers, and its preflight a 403.
 */
export async function registerCors(app: FastifyInstance, allowedOrigins: string[]): Promise<void> {
  const any = allowedOrigins.includes('*');
  const listed = new Set(allowedOrigins);
  await app.register(cors, {
    delegator: (request, callback) => {
      const { origin } = request.headers;
      const allowed = origin !== undefined && (any || listed.has(origin));
      if (
        !allowed &&
        request.method === 'OPTIONS' &&
        request.headers['access-control-request-method']
      )
        return callback(new HttpError(403, 'FORBIDDEN', 'This origin may not call the API'));
      callback(null, allowed ? ALLOW : DENY);
    },
  });
}
