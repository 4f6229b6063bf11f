import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { HttpContextDeps } from '../context';
import { createHttpContextFactory } from '../context';
import type { Logger } from '../logger';
import { appRouter } from '../router';
import { createCallerFactory } from '../trpc';
import { applyCors } from './cors';
import { sendError, sendJson } from './respond';

export interface HttpServerOptions extends HttpContextDeps {
  allowedOrigins: string[];
  bodyLimitBytes: number;
  logger: Logger;
}

function tooLarge(req: IncomingMessage, limit: number): boolean {
  const length = Number(req.headers['content-length']);
  return Number.isFinite(length) && length > limit;
}

/** A thin HTTP layer over the procedures: routing, CORS and limits, no rules. */
export function createHttpServer(options: HttpServerOptions): Server {
  const createContext = createHttpContextFactory(options);
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    createContext,
    maxBodySize: options.bodyLimitBytes,
    responseMeta({ errors }) {
      const headers: Record<string, string> = { 'cache-control': 'no-store' };
      if (errors.some((e) => e.code === 'UNAUTHORIZED')) headers['www-authenticate'] = 'Bearer';
      return { headers };
    },
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') {
        options.logger.error('procedure failed', {
          path,
          error: error.message,
          cause: error.cause instanceof Error ? error.cause.stack : String(error.cause),
        });
      } else {
        options.logger.debug('procedure refused', { path, code: error.code, error: error.message });
      }
    },
  });
  const caller = createCallerFactory(appRouter);

  const health = async (req: IncomingMessage, res: ServerResponse, check: 'live' | 'db') => {
    const api = caller(createContext({ req }));
    try {
      sendJson(res, 200, check === 'live' ? await api.health.live() : await api.health.db());
    } catch (error) {
      options.logger.warn('readiness check failed', { error: (error as Error).message });
      sendJson(res, 503, { status: 'unavailable', database: 'unreachable', status_code: 503 });
    }
  };

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (applyCors(req, res, options.allowedOrigins)) return;
    if (tooLarge(req, options.bodyLimitBytes)) {
      // Refuse before reading a byte of it; close so the client stops sending.
      res.setHeader('connection', 'close');
      return sendError(
        res,
        413,
        'PAYLOAD_TOO_LARGE',
        `Request body exceeds ${options.bodyLimitBytes} bytes`,
      );
    }
    if (url.pathname.startsWith('/trpc/')) return trpc(req, res);
    if (req.method === 'GET' && url.pathname === '/health') return void health(req, res, 'live');
    if (req.method === 'GET' && url.pathname === '/api/health/db')
      return void health(req, res, 'db');
    sendError(res, 404, 'NOT_FOUND', `No route for ${req.method} ${url.pathname}`);
  });
}
