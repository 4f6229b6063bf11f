import { createServer } from 'node:http';
import { answerClientErrors, decodeUtf8, guardRequests, HttpError } from '@taskflow/http-guard';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { errorBody, replyWithError } from './error-reply';
import type { Logger } from './logger';
import type { HttpMetrics } from './metrics';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request, once authenticated; the access line and metrics name them. */
    principalId: string | undefined;
    /** What the access line and metrics call the route when Fastify's pattern says too little (tRPC). */
    routeLabel: string | undefined;
    /** performance.now() when the request arrived, for requests that end without a reply. */
    receivedAt: number;
  }
}

export interface ServiceOptions {
  logger: Logger;
  /** Largest request body read, in bytes (Fastify answers 413 beyond it). */
  bodyLimit?: number;
  /** Request counts and durations per route and status. */
  metrics?: HttpMetrics;
}

/** A caller's text quoted back in a message, at most 200 characters of it. */
function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** The route a request is counted under: a pattern, never the raw path (bounded cardinality). */
export function routeOf(request: FastifyRequest): string {
  return request.routeLabel ?? request.routeOptions.url ?? 'unmatched';
}

/**
 * A Fastify instance with what every TaskFlow service needs in front of its routes:
 * http-guard's checks before Fastify sees a request (bad targets, bad Host, malformed
 * HTTP, slow clients), an X-Request-Id on every response and log line, one access line
 * per request, strict UTF-8 JSON bodies, and one error shape.
 */
export function createService(options: ServiceOptions): FastifyInstance {
  const { logger } = options;
  const logError = (msg: string, fields: Record<string, unknown>) => logger.error(fields, msg);
  // Widened so the instance has Fastify's default type, which plugins and adapters expect.
  const loggerInstance: FastifyBaseLogger = logger;
  const app = Fastify({
    loggerInstance,
    // Fastify's own two lines per request give way to the one access line below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'req_id' }),
    genReqId: (req) => requestIdFor(req.headers[REQUEST_ID_HEADER]),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // The same bounds answerClientErrors sets, so neither overrides the other.
    keepAliveTimeout: 5_000,
    requestTimeout: 30_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
    // The router's own refusals (a bad URL, a parameter over maxParamLength) in the one shape.
    frameworkErrors: (error, request, reply) => {
      const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      const code = status === 414 ? 'URI_TOO_LONG' : 'BAD_REQUEST';
      const message = status === 414 ? 'A path segment is too long' : 'The path is not valid';
      logGuardRefusal(request.id, request.raw.method, status);
      // Fastify types this reply by generics it leaves open; it is a plain reply.
      (reply as FastifyReply)
        .code(status)
        .header('cache-control', 'no-store')
        .send(errorBody(status, code, message, request.id));
    },
    serverFactory: (handler) => {
      let reached = false;
      const guarded = guardRequests((req, res) => {
        reached = true;
        return handler(req, res);
      }, logError);
      return answerClientErrors(
        // Node's bare 400 for a missing Host is left to the guard, which answers in the shape.
        createServer({ requireHostHeader: false }, (req, res) => {
          // Decided before the guard so that even its refusals carry the id.
          const id = requestIdFor(req.headers[REQUEST_ID_HEADER]);
          req.headers[REQUEST_ID_HEADER] = id;
          res.setHeader(REQUEST_ID_HEADER, id);
          reached = false;
          guarded(req, res);
          // The guard answered by itself (synchronously): still one access line per request.
          if (!reached) logGuardRefusal(id, req.method, res.statusCode);
        }),
      );
    },
  });
  function logGuardRefusal(id: string, method: string | undefined, status: number) {
    options.metrics?.observe(method ?? 'UNKNOWN', 'unmatched', status, 0);
    logger.info(
      { req_id: id, method, route: 'unmatched', status, duration_ms: 0, principal: null },
      'request',
    );
  }
  app.decorateRequest('principalId', undefined);
  app.decorateRequest('routeLabel', undefined);
  app.decorateRequest('receivedAt', 0);

  app.addHook('onRequest', (request, _reply, done) => {
    // (The X-Request-Id response header is already set on the raw response by the factory.)
    request.receivedAt = performance.now();
    done();
  });
  // While closing, connections whose response just ended are closed too: close() waits for
  // every connection, and a keep-alive client would otherwise hold one until its own timeout.
  // A timer while closing, rather than a hook on every response.
  let sweeping: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    sweeping = setInterval(() => app.server.closeIdleConnections(), 50).unref();
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    clearInterval(sweeping);
    done();
  });
  const logAccess = (request: FastifyRequest, status: number, elapsedMs: number) => {
    const route = routeOf(request);
    options.metrics?.observe(request.method, route, status, elapsedMs / 1000);
    request.log.info(
      {
        method: request.method,
        route,
        status,
        duration_ms: Math.round(elapsedMs * 10) / 10,
        principal: request.principalId ?? null,
      },
      'request',
    );
  };
  app.addHook('onResponse', (request, reply, done) => {
    logAccess(request, reply.statusCode, reply.elapsedTime);
    done();
  });
  // A client that hangs up first gets no response, but its request still gets a line
  // (499, nginx's "client closed request"), so abandoned slow calls show in logs and metrics.
  app.addHook('onRequestAbort', (request, done) => {
    logAccess(request, 499, performance.now() - request.receivedAt);
    done();
  });

  // Fastify's parser, which refuses `__proto__` and `constructor.prototype` keys, fed strict UTF-8.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  // Fastify's text/plain parser goes too: a body is JSON or a route's own business.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    /^application\/(.+\+)?json$/,
    { parseAs: 'buffer' },
    (request, body: Buffer, done) => {
      let text: string;
      try {
        text = decodeUtf8(body).trim();
      } catch (error) {
        return done(error as HttpError);
      }
      if (!text) return done(null, undefined);
      parseJson(request, text, (error, value) =>
        error
          ? done(
              new HttpError(
                400,
                'PARSE_ERROR',
                `The request body is not valid JSON: ${error.message}`,
              ),
            )
          : done(null, value),
      );
    },
  );

  app.setErrorHandler(replyWithError);
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .header('cache-control', 'no-store')
      .send(
        errorBody(
          404,
          'NOT_FOUND',
          `No route for ${request.method} ${clip(request.url)}`,
          request.id,
        ),
      );
  });
  return app;
}
