import type { ServerResponse } from 'node:http';
import { HttpError } from '@taskflow/http-guard';
import {
  type Context,
  type RouterMetrics,
  reportError,
  restErrorBody,
  restErrorReply,
  StreamLimitExceeded,
} from '@taskflow/router';
import { getTRPCErrorFromUnknown, isTrackedEnvelope } from '@trpc/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { streamGuardOf } from '../http/stream-guard';
import { callProcedure } from './procedures';

export interface EventStreamOptions {
  /** A `: ping` comment this often while no event flows. */
  keepAliveMs: number;
}

/** Resolves when the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  // A response already gone emits neither event again.
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

const LAST_EVENT_ID = /^\d{1,15}$/;

// An event goes to every stream that may see it: serialised once, not once per stream
// (hundreds of streams each stringifying a burst held the event loop for seconds).
const serialized = new WeakMap<object, string>();
function eventData(data: unknown): string {
  if (typeof data !== 'object' || data === null) return JSON.stringify(data);
  let text = serialized.get(data);
  if (text === undefined) {
    text = JSON.stringify(data);
    serialized.set(data, text);
  }
  return text;
}

/** Last-Event-ID (what an EventSource sends on reconnect) wins over the `after` it first asked with. */
function resumeFrom(request: FastifyRequest, input: Record<string, unknown>): void {
  const header = request.headers['last-event-id'];
  if (header === undefined) return;
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !LAST_EVENT_ID.test(value.trim()))
    throw new HttpError(400, 'BAD_REQUEST', 'Last-Event-ID must be an event id from this stream');
  input.lastEventId = value.trim();
}

/**
 * GET /api/events: the change feed as text/event-stream (`id:` is the audit id). Every
 * refusal (401, 404, 422, 429) is an ordinary JSON answer, made before the stream
 * starts; after that the response is written straight to the socket, unbuffered.
 */
export async function serveEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: Context,
  input: Record<string, unknown>,
  options: EventStreamOptions,
  metrics: RouterMetrics | undefined,
): Promise<void> {
  const res = reply.raw;
  const abort = new AbortController();
  let events: AsyncIterable<unknown>;
  try {
    resumeFrom(request, input);
    ctx.streamGuard = streamGuardOf(res);
    events = (await callProcedure(
      ctx,
      'events.onChange',
      input,
      abort.signal,
    )) as AsyncIterable<unknown>;
  } catch (caught) {
    reply.headers(ctx.rateLimit?.headers() ?? {}).header('cache-control', 'no-store');
    if (caught instanceof HttpError) {
      return reply
        .code(caught.status)
        .send(restErrorBody(caught.status, caught.code, caught.message, request.id));
    }
    const error = getTRPCErrorFromUnknown(caught);
    if (error.cause instanceof StreamLimitExceeded)
      reply.header('retry-after', String(error.cause.retryAfterSeconds));
    reportError(error, 'events.onChange', ctx.logger, metrics);
    const { status, headers, body } = restErrorReply(error, request.id, false);
    return reply.code(status).headers(headers).send(body);
  }
  reply.hijack();
  const stop = () => abort.abort();
  res.once('close', stop);
  // A client that hung up while the stream was set up closed before anyone listened.
  if (res.destroyed) stop();
  res.writeHead(200, {
    ...(ctx.rateLimit?.headers() ?? {}),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    // Proxies such as nginx would otherwise hold events back.
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });
  // How soon an EventSource reconnects after the connection drops.
  res.write('retry: 1000\n\n');
  res.flushHeaders();
  const ping = setInterval(() => {
    if (!res.writableEnded) res.write(': ping\n\n');
  }, options.keepAliveMs);
  try {
    for await (const item of events) {
      if (!isTrackedEnvelope(item)) continue;
      const [id, data] = item;
      // Waits for the socket to take what is written; the hub cuts off a client that
      // keeps it waiting too long (or lets too much pile up), and the client resumes.
      if (!res.write(`id: ${id}\nevent: change\ndata: ${eventData(data)}\n\n`)) await drained(res);
    }
  } catch (error) {
    request.log.warn({ err: error }, 'event stream failed');
  } finally {
    clearInterval(ping);
    res.off('close', stop);
    abort.abort();
    if (!res.destroyed) res.end();
  }
}
