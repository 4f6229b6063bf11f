import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  answerClientErrors,
  type GuardedListener,
  guardRequests,
  HttpError,
  readBody,
  sendJson,
  UNAVAILABLE_HEADERS,
} from '@taskflow/http-guard';
import type { HttpContextDeps, Logger } from '@taskflow/router';
import { appRouter, createHttpContextFactory } from '@taskflow/router';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { serveDocs } from '../rest/docs';
import { errorBody, handleRest, matchRoute } from '../rest/handler';
import { buildOpenApiDocument } from '../rest/openapi';
import { applyCors } from './cors';

export interface HttpServerOptions extends HttpContextDeps {
  allowedOrigins: string[];
  bodyLimitBytes: number;
  /** Most calls one tRPC batch may carry; a larger batch is refused whole. */
  maxBatchSize: number;
  logger: Logger;
}

function tooLarge(req: IncomingMessage, limit: number): boolean {
  const length = Number(req.headers['content-length']);
  return Number.isFinite(length) && length > limit;
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers = {},
): void {
  sendJson(res, status, errorBody(status, code, message), headers);
}

/** JSON-RPC's codes for the refusals made before tRPC sees a request. */
const JSON_RPC_CODES: Record<string, number> = { PARSE_ERROR: -32700, PAYLOAD_TOO_LARGE: -32013 };

/** An HTTP-layer refusal in tRPC's wire shape, so tRPC clients read it like any other. */
function trpcErrorBody(error: HttpError) {
  return {
    error: {
      message: error.message,
      code: JSON_RPC_CODES[error.code] ?? -32600,
      data: { code: error.code, httpStatus: error.status },
    },
  };
}

/** A thin HTTP layer over the procedures: routing, CORS and limits, no rules. */
export function createHttpServer(options: HttpServerOptions): Server {
  const createContext = createHttpContextFactory(options, 'trpc');
  const createRestContext = createHttpContextFactory(options, 'rest');
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    createContext,
    maxBodySize: options.bodyLimitBytes,
    maxBatchSize: options.maxBatchSize,
    responseMeta({ ctx, errors }) {
      const headers: Record<string, string> = {
        'cache-control': 'no-store',
        ...ctx?.rateLimit?.headers(),
      };
      if (errors.some((e) => e.code === 'UNAUTHORIZED')) headers['www-authenticate'] = 'Bearer';
      if (errors.some((e) => e.code === 'SERVICE_UNAVAILABLE'))
        Object.assign(headers, UNAVAILABLE_HEADERS);
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
  // Built once: the document only changes with the code.
  const openApiJson = JSON.stringify(buildOpenApiDocument());

  const rest = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const match = matchRoute(req.method ?? 'GET', url.pathname);
    if (match.kind === 'none')
      return sendError(res, 404, 'NOT_FOUND', `No route for ${req.method} ${url.pathname}`);
    if (match.kind === 'method-not-allowed') {
      return sendError(
        res,
        405,
        'METHOD_NOT_SUPPORTED',
        `${req.method} is not allowed on ${url.pathname}`,
        {
          allow: match.allow.join(', '),
        },
      );
    }
    const result = await handleRest(req, url, match, createRestContext({ req }), options);
    if (result.status === 304) {
      res.writeHead(304, result.headers).end();
      return;
    }
    sendJson(res, result.status, result.body, result.headers);
  };

  const route: GuardedListener = (req, res, url) => {
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
    if (url.pathname.startsWith('/trpc/')) {
      if (req.method !== 'POST') return trpc(req, res);
      // Read here so that bytes which are not UTF-8 are refused, not decoded to U+FFFD;
      // tRPC takes a body already read from `req.body`.
      return readBody(req, options.bodyLimitBytes).then(
        (text) => {
          (req as IncomingMessage & { body?: string }).body = text;
          return trpc(req, res);
        },
        (error: unknown) => {
          if (!(error instanceof HttpError)) throw error;
          sendJson(res, error.status, trpcErrorBody(error));
        },
      );
    }
    if (req.method === 'GET' && url.pathname === '/openapi.json') {
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-cache',
      });
      res.end(openApiJson);
      return;
    }
    if (url.pathname === '/docs' || url.pathname.startsWith('/docs/'))
      return serveDocs(req, res, url);
    rest(req, res, url).catch((error: unknown) => {
      options.logger.error('request failed', {
        error: error instanceof Error ? error.stack : String(error),
      });
      sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    });
  };
  return answerClientErrors(createServer(guardRequests(route, options.logger.error)));
}
