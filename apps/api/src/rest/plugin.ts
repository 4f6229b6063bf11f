import type { Page } from '@taskflow/contracts';
import { HttpError } from '@taskflow/http-guard';
import {
  type Context,
  createHttpContextFactory,
  type HttpContextDeps,
  reportError,
  restErrorBody,
  restErrorReply,
} from '@taskflow/router';
import { parseBodiesAsText } from '@taskflow/service';
import { getTRPCErrorFromUnknown } from '@trpc/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asRequestLike } from '../http/request';
import { TextBody } from '../http/text-body';
import { type EventStreamOptions, serveEventStream } from './event-stream';
import { callProcedure, inputJsonSchema, procedureDef, typesOf } from './procedures';
import { type HttpMethod, REST_ROUTES, type RestRoute } from './routes';

export interface RestOptions extends HttpContextDeps {
  events: EventStreamOptions;
}

type Query = Record<string, string | string[] | undefined>;

/** Path and query values arrive as strings: give them the type the schema expects. */
function coerce(value: string, types: readonly string[]): unknown {
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value))
    return Number(value);
  if (types.includes('boolean')) {
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
  }
  if (types.includes('null') && value === 'null') return null;
  return value;
}

/** `"3"`, `W/"3"` or `3` → 3; `*` or absent → undefined. */
function parseIfMatch(header: string | undefined): number | undefined {
  if (!header || header.trim() === '*') return undefined;
  const m = /^(?:W\/)?"?(\d+)(?:-[0-9a-z]+)?"?$/.exec(header.trim());
  if (!m)
    throw new HttpError(400, 'BAD_REQUEST', 'If-Match must be an ETag from this API, e.g. "3"');
  return Number(m[1]);
}

/**
 * A task's ETag: its version, and while it is claimed, its lease's end. A heartbeat
 * moves the lease without a new version (that would break the holder's and others'
 * expected_version), yet a cached copy with the old lease is stale. If-Match reads
 * the version alone: a lease extended since does not refuse an edit.
 */
function etagOf(data: { version: number; lease_expires_at?: unknown }): string {
  const lease =
    typeof data.lease_expires_at === 'string' ? Date.parse(data.lease_expires_at) : Number.NaN;
  return Number.isNaN(lease) ? `"${data.version}"` : `"${data.version}-${lease.toString(36)}"`;
}

/** Everything about a route that does not depend on the request, worked out once at start. */
interface CompiledRoute {
  route: RestRoute;
  /** Fastify's pattern: /api/tasks/:id. */
  url: string;
  /** Input field → the JSON Schema types it accepts, for coercing strings. */
  types: Map<string, readonly string[]>;
  readsBody: boolean;
  readsQuery: boolean;
  takesInput: boolean;
  noBody: string;
  noQuery: string;
}

function compile(route: RestRoute): CompiledRoute {
  const props = inputJsonSchema(route.procedure).properties ?? {};
  const types = new Map(Object.entries(props).map(([field, s]) => [field, typesOf(s)]));
  const readsBody = route.input === 'body' || route.input === 'query+body';
  const readsQuery = route.input === 'query' || route.input === 'query+body';
  return {
    route,
    url: route.path.replace(/\{(\w+)\}/g, ':$1'),
    types,
    readsBody,
    readsQuery,
    takesInput: procedureDef(route.procedure).inputs.length > 0,
    noBody: `${route.method} ${route.path} takes no request body${route.input === 'query' ? '; send its input as query parameters' : ''}`,
    noQuery: `${route.method} ${route.path} takes no query parameters`,
  };
}

function isEmptyBody(request: FastifyRequest): boolean {
  const { body } = request;
  // Fastify never reads a GET's body: judge it by its framing instead.
  if (request.method === 'GET') {
    const length = request.headers['content-length'];
    return request.headers['transfer-encoding'] === undefined && (!length || length === '0');
  }
  return body === undefined || (body instanceof TextBody && body.text.trim() === '');
}

/** The procedure's input from path, query and body; refuses what it would otherwise drop or guess. */
function assembleInput(
  c: CompiledRoute,
  params: Record<string, string>,
  query: Query,
  body: unknown,
): Record<string, unknown> | undefined {
  const { route } = c;
  const out: Record<string, unknown> = {};
  const path: Record<string, unknown> = {};
  for (const key in params) {
    const field = route.aliases?.[key] ?? key;
    path[field] = coerce(params[key] as string, c.types.get(field) ?? []);
  }
  const keys = Object.keys(query);
  if (keys.length && !c.readsQuery) {
    // Silently dropping them would, for `?expected_version=`, turn a conditional change into an unconditional one.
    throw new HttpError(
      400,
      'BAD_REQUEST',
      `${c.noQuery} (got ${keys.join(', ')})${route.input === 'body' ? '; send them in the JSON body' : ''}`,
    );
  }
  for (const key of keys) {
    const value = query[key];
    const field = route.aliases?.[key] ?? key;
    // `limit=1&limit=2`, or `project=a&project_slug=b`: no value is picked silently.
    if (typeof value !== 'string' || field in out)
      throw new HttpError(400, 'BAD_REQUEST', `${field} is given more than once`);
    out[field] = coerce(value, c.types.get(field) ?? []);
  }
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    throw new HttpError(400, 'BAD_REQUEST', 'The request body must be a JSON object');
  }
  const fromBody = (body ?? {}) as Record<string, unknown>;
  for (const key in path) {
    if (key in fromBody && fromBody[key] !== path[key]) {
      throw new HttpError(400, 'BAD_REQUEST', `The body's ${key} does not match the path`);
    }
  }
  if (!c.takesInput) return undefined;
  return Object.assign(out, fromBody, path);
}

/** A page as REST sends it: the items as a plain array; the next page's cursor in Link and X-Next-Cursor. */
function sendPage(request: FastifyRequest, reply: FastifyReply, page: Page<unknown>) {
  if (page.next_cursor !== null) {
    const url = new URL(request.url, 'http://x');
    url.searchParams.delete('offset');
    url.searchParams.set('cursor', page.next_cursor);
    reply
      .header('link', `<${url.pathname}${url.search}>; rel="next"`)
      .header('x-next-cursor', page.next_cursor);
  }
  return reply.code(200).header('cache-control', 'no-store').send(page.items);
}

async function handle(
  c: CompiledRoute,
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: Context,
  options: RestOptions,
): Promise<unknown> {
  const { metrics } = options;
  const { route } = c;
  let ifMatchUsed = false;
  try {
    let body = request.body;
    if (!c.readsBody) {
      if (!isEmptyBody(request)) throw new HttpError(400, 'BAD_REQUEST', c.noBody);
      body = undefined;
    } else if (body instanceof TextBody) {
      if (body.text.trim())
        throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
      body = undefined;
    }
    const input = assembleInput(
      c,
      request.params as Record<string, string>,
      request.query as Query,
      body,
    );
    if (route.stream) {
      await serveEventStream(request, reply, ctx, input ?? {}, options.events, metrics);
      return reply;
    }
    if (route.ifMatch && input) {
      const ifMatch = parseIfMatch(request.headers['if-match']);
      if (ifMatch !== undefined) {
        if (input.expected_version !== undefined && input.expected_version !== ifMatch) {
          throw new HttpError(400, 'BAD_REQUEST', 'If-Match and expected_version disagree');
        }
        input.expected_version = ifMatch;
        ifMatchUsed = true;
      }
    }
    const data = await callProcedure(ctx, route.procedure, input);
    reply.headers(ctx.rateLimit?.headers() ?? {});
    if (ctx.idempotency.replayed) reply.header('idempotent-replayed', 'true');
    if (data === null && route.nullIs204)
      return reply.code(204).header('cache-control', 'no-store').send();
    if (route.paged) return sendPage(request, reply, data as Page<unknown>);
    const version = (data as { version?: unknown }).version;
    if (route.etag && typeof version === 'number') {
      const etag = etagOf(data as { version: number; lease_expires_at?: unknown });
      reply.header('etag', etag);
      if (route.method === 'GET' && request.headers['if-none-match'] === etag)
        return reply.code(304).send();
    }
    if (route.status === 201) {
      const created = data as { id?: number; slug?: string };
      reply.header(
        'location',
        route.path === '/api/projects'
          ? `/api/projects/${created.slug}`
          : `/api/tasks/${created.id}`,
      );
    }
    return reply
      .code(route.status ?? 200)
      .header('cache-control', 'no-store')
      .send(data);
  } catch (caught) {
    reply.headers(ctx.rateLimit?.headers() ?? {}).header('cache-control', 'no-store');
    if (ctx.idempotency.replayed) reply.header('idempotent-replayed', 'true');
    if (caught instanceof HttpError) {
      return reply
        .code(caught.status)
        .send(restErrorBody(caught.status, caught.code, caught.message, request.id));
    }
    const error = getTRPCErrorFromUnknown(caught);
    reportError(error, route.procedure, ctx.logger, metrics);
    const { status, headers, body } = restErrorReply(error, request.id, ifMatchUsed);
    return reply.code(status).headers(headers).send(body);
  }
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE'] as const;

/**
 * The REST surface as Fastify routes, one per row of REST_ROUTES, each compiled once.
 * A known path asked with another method answers 405 with Allow.
 */
export async function restPlugin(app: FastifyInstance, options: RestOptions): Promise<void> {
  const createContext = createHttpContextFactory(options, 'rest');
  // JSON goes through the service's strict parser; anything else is kept as text, so a
  // route that reads no body can refuse one (400) and one that does can say "send JSON" (415).
  parseBodiesAsText(app, '*', (text) => new TextBody(text));
  const allowed = new Map<string, HttpMethod[]>();
  // HTTP asks for HEAD wherever GET works (the same answer without its body); not on an
  // event stream, whose answer never ends.
  const headable = new Set<string>();
  for (const route of REST_ROUTES) {
    const c = compile(route);
    allowed.set(c.url, [...(allowed.get(c.url) ?? []), route.method]);
    if (route.method === 'GET' && !route.stream) headable.add(c.url);
    app.route({
      method: route.method,
      url: c.url,
      exposeHeadRoute: headable.has(c.url) && route.method === 'GET',
      handler: (request, reply) =>
        handle(c, request, reply, createContext(asRequestLike(request)), options),
    });
  }
  for (const [url, methods] of allowed) {
    const others = METHODS.filter((m) => !(methods as string[]).includes(m));
    const head = headable.has(url);
    const allow = (head ? [...methods, 'HEAD'] : methods).join(', ');
    app.route({
      method: head ? others : [...others, 'HEAD'],
      url,
      handler: (request, reply) =>
        reply
          .code(405)
          .header('allow', allow)
          .header('cache-control', 'no-store')
          .send(
            restErrorBody(
              405,
              'METHOD_NOT_SUPPORTED',
              `${request.method} is not allowed on ${request.url.split('?')[0]}`,
              request.id,
            ),
          ),
    });
  }
}
