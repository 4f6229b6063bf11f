import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import httpProxy from '@fastify/http-proxy';
import { HttpError, UNAVAILABLE_HEADERS } from '@taskflow/http-guard';
import { errorBody } from '@taskflow/service';
import type { FastifyInstance, FastifyReply, RawServerBase, RouteGenericInterface } from 'fastify';
import { pino } from 'pino';
import { AbortableDispatcher } from './abortable';

/** How long an upstream may take to start answering: the services' own request timeout. */
export const UPSTREAM_TIMEOUT_MS = 30_000;

/**
 * How long, once stopping, a request may still wait for an upstream's headers before it is
 * answered 503: well inside the 10 s runService gives a shutdown before it exits.
 */
export const DRAIN_MS = 5_000;

/** Largest request body forwarded; the API and the identity service refuse more anyway. */
export const PROXY_BODY_LIMIT = 1024 * 1024;

/** Headers a client could send to pose as someone else; this proxy states the facts itself. */
function isForwardingHeader(name: string): boolean {
  return name === 'forwarded' || name === 'x-real-ip' || name.startsWith('x-forwarded-');
}

/**
 * Hop-by-hop headers describe the client's connection, not the request. `expect` too: Node
 * has already answered 100-continue, and undici refuses to send it (as it refuses a stray
 * `upgrade`), which would turn a client's quirk into a 502.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
  'expect',
]);

function withoutHopByHop<H extends Record<string, unknown>>(headers: H): H {
  const out = { ...headers };
  for (const name of HOP_BY_HOP) delete out[name];
  return out;
}

/** What forwarding needs of a request (reply-from types it for HTTP/1 and HTTP/2 alike). */
interface ForwardedRequest {
  raw: { socket: { remoteAddress?: string } };
  headers: IncomingHttpHeaders;
}

/**
 * The upstream sees the client's real address in X-Forwarded-For (the socket's, never
 * one the client wrote), so the identity service's rate limits key on the real client.
 */
function forwardingHeaders(request: ForwardedRequest, headers: IncomingHttpHeaders) {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!isForwardingHeader(name) && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  out['x-forwarded-for'] = request.raw.socket.remoteAddress ?? '';
  out['x-forwarded-host'] = request.headers.host ?? '';
  out['x-forwarded-proto'] = 'http';
  return out;
}

/** Counts a streamed body and fails it past the limit (a chunked body has no Content-Length). */
class BodyLimit extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    this.seen += chunk.length;
    if (this.seen > this.limit) return done(tooLarge(this.limit));
    done(null, chunk);
  }
}

const tooLarge = (limit: number) =>
  new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${limit} bytes`);

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

/** What went wrong on the way to an upstream, as the client is told. */
function upstreamFailure(error: Error): { status: number; code: string; message: string } {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof HttpError) return cause;
  const causeCode = (cause as { code?: unknown } | undefined)?.code;
  const status = (error as { statusCode?: number }).statusCode;
  if ((typeof causeCode === 'string' && UNREACHABLE.has(causeCode)) || status === 503) {
    return {
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      message: 'TaskFlow is unavailable right now; try again shortly',
    };
  }
  if (status === 504) {
    return { status: 504, code: 'GATEWAY_TIMEOUT', message: 'TaskFlow took too long to answer' };
  }
  return {
    status: 502,
    code: 'BAD_GATEWAY',
    message: 'TaskFlow answered badly or hung up; try again shortly',
  };
}

function replyWithUpstreamFailure(
  reply: FastifyReply<RouteGenericInterface, RawServerBase>,
  error: Error,
): void {
  // reply-from has already logged the cause under the request's id.
  const { status, code, message } = upstreamFailure(error);
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return;
  }
  if (status === 503) reply.headers(UNAVAILABLE_HEADERS);
  // The body may not have been read to its end: the connection cannot carry another request.
  if (!reply.request.raw.complete) reply.header('connection', 'close');
  reply
    .code(status)
    .header('cache-control', 'no-store')
    .send(errorBody(status, code, message, reply.request.id));
}

/** A network failure on the way to an upstream (undici's or the system's), not a bug here. */
function isUpstreamFailure(error: { code?: unknown }): boolean {
  const { code } = error;
  return typeof code === 'string' && (code.startsWith('UND_ERR') || /^E[A-Z]+$/.test(code));
}

/**
 * reply-from logs each upstream failure as a warning with the error: its stack says nothing
 * about a refused or dropped connection, so those are logged as type, code and message.
 * Anything else keeps its stack.
 */
function upstreamErrorSerializer(error: Error & { code?: unknown; cause?: unknown }) {
  if (!(error instanceof Error) || !isUpstreamFailure(error)) return pino.stdSerializers.err(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  return {
    type: error.name,
    code: error.code,
    message: error.message,
    ...(cause && { cause: { code: cause.code, message: cause.message } }),
  };
}

export interface ProxyRoute {
  /** Path prefix as the browser sends it, e.g. `/api/auth`; forwarded unchanged. */
  prefix: string;
  upstream: string;
}

/**
 * Forwards each prefix, path and query unchanged, streaming bodies both ways. Registered
 * in a scope of its own so the service's JSON parser never reads a body the proxy streams.
 */
export async function registerProxies(
  app: FastifyInstance,
  routes: ProxyRoute[],
  options: { upstreamTimeoutMs?: number; drainMs?: number } = {},
): Promise<void> {
  const dispatcher = new AbortableDispatcher(options.upstreamTimeoutMs ?? UPSTREAM_TIMEOUT_MS);
  app.addHook('preClose', (done) => {
    dispatcher.drain(options.drainMs ?? DRAIN_MS);
    done();
  });
  const tickets = new WeakMap<object, Record<string, string>>();
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      route.logSerializers = { ...route.logSerializers, err: upstreamErrorSerializer };
    });
    scope.addHook('onRequest', async (request, reply) => {
      tickets.set(request.raw, dispatcher.track(reply.raw));
    });
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (request, payload, done) => {
      const declared = Number(request.headers['content-length']);
      if (declared > PROXY_BODY_LIMIT) return done(tooLarge(PROXY_BODY_LIMIT));
      const limited = new BodyLimit(PROXY_BODY_LIMIT);
      payload.on('error', (error) => limited.destroy(error));
      done(null, payload.pipe(limited));
    });
    for (const { prefix, upstream } of routes) {
      await scope.register(httpProxy, {
        upstream,
        prefix,
        rewritePrefix: prefix,
        // The parser above streams every body; the plugin's own would not count it.
        proxyPayloads: false,
        replyOptions: {
          // The upstream's connection is its own business; this one is Node's.
          rewriteHeaders: (headers) => withoutHopByHop(headers),
          rewriteRequestHeaders: (request, headers) => ({
            ...forwardingHeaders(request, headers),
            ...tickets.get(request.raw),
          }),
          onError: (reply, { error }) => replyWithUpstreamFailure(reply, error),
          // The upstream's own 503 goes to the client as is: a retry here would hold the
          // request for up to ten Retry-After periods.
          retryDelay: () => null,
        },
        undici: dispatcher,
        // The access line says what happened; the plugin's two lines per request add nothing.
        disableRequestLogging: true,
      });
    }
  });
}
