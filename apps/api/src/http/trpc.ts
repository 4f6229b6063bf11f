import {
  appRouter,
  createHttpContextFactory,
  errorHeaders,
  type HttpContextDeps,
  reportError,
  trpcRefusalBody,
} from '@taskflow/router';
import { describeFailure, parseBodiesAsText, replyWithError } from '@taskflow/service';
import { fastifyRequestHandler } from '@trpc/server/adapters/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asRequestLike } from './request';
import { streamGuardOf } from './stream-guard';

export interface TrpcOptions extends HttpContextDeps {
  /** Most calls one batch may carry; a larger batch is refused whole. */
  maxBatchSize: number;
}

const PROCEDURES = new Set(Object.keys(appRouter._def.procedures));

/** What the access line and metrics call a tRPC call: bounded, whatever path a client sends. */
export function trpcRouteLabel(path: string): string {
  if (PROCEDURES.has(path)) return `/trpc/${path}`;
  return path.includes(',') ? '/trpc/batch' : '/trpc/unknown';
}

function isJson(contentType: string | undefined): boolean {
  return /^application\/(.+\+)?json\s*(;|$)/i.test(contentType ?? '');
}

/** Refusals made before tRPC runs (bad bytes, too big), in tRPC's wire shape; 500s as every route's. */
function replyTrpcRefusal(error: Error, request: FastifyRequest, reply: FastifyReply) {
  const { status, code, message } = describeFailure(error);
  if (status >= 500) return replyWithError(error, request, reply);
  if (status === 413) reply.header('connection', 'close');
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .send(trpcRefusalBody(status, code, message, request.id));
}

/**
 * tRPC at /trpc, through tRPC's Fastify adapter. Registered with a prefix, so its body
 * parser and error handler stay inside this scope. Bodies reach tRPC as strict UTF-8
 * text, which tRPC parses itself (one parse, not two).
 */
export async function trpcPlugin(app: FastifyInstance, options: TrpcOptions): Promise<void> {
  const createContext = createHttpContextFactory(options, 'trpc');
  app.removeAllContentTypeParsers();
  parseBodiesAsText(app, '*', (text) => text);
  app.setErrorHandler(replyTrpcRefusal);
  // tRPC speaks GET (queries) and POST; anything else is refused here, before the adapter
  // builds a fetch Request (which cannot even be made for TRACE).
  app.route({
    method: ['PUT', 'PATCH', 'DELETE', 'TRACE', 'HEAD'],
    url: '/*',
    handler: (request, reply) =>
      reply
        .code(405)
        .header('allow', 'GET, POST')
        .header('cache-control', 'no-store')
        .send(
          trpcRefusalBody(
            405,
            'METHOD_NOT_SUPPORTED',
            `${request.method} is not allowed on tRPC: queries are GET, mutations POST`,
            request.id,
          ),
        ),
  });
  // A wildcard, not `/:path`: a batch's path ("a,b,c,...") may be longer than a parameter may.
  app.route({
    method: ['GET', 'POST'],
    url: '/*',
    handler: async (request, reply) => {
      const path = (request.params as { '*': string })['*'];
      request.routeLabel = trpcRouteLabel(path);
      // tRPC would refuse these itself, but in words of its own and without the request's id.
      if (request.method === 'POST' && !isJson(request.headers['content-type'])) {
        return reply
          .code(415)
          .header('cache-control', 'no-store')
          .send(
            trpcRefusalBody(
              415,
              'UNSUPPORTED_MEDIA_TYPE',
              'Send the body as JSON (content-type: application/json)',
              request.id,
            ),
          );
      }
      await fastifyRequestHandler({
        router: appRouter,
        req: request,
        res: reply,
        path,
        maxBatchSize: options.maxBatchSize,
        createContext: ({ req, res, info }) => {
          const ctx = createContext(asRequestLike(req), info.calls.length);
          ctx.streamGuard = streamGuardOf(res.raw);
          return ctx;
        },
        responseMeta({ ctx, errors }) {
          return {
            headers: {
              'cache-control': 'no-store',
              ...ctx?.rateLimit?.headers(),
              ...errorHeaders(errors.map((e) => e.code)),
              ...(ctx?.idempotency.replayed && { 'idempotent-replayed': 'true' }),
            },
          };
        },
        onError({ error, path: procedure, req }) {
          reportError(error, procedure, asRequestLike(req).log, options.metrics);
        },
      });
    },
  });
}
