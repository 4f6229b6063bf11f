import type { IncomingMessage } from 'node:http';
import type { ErrorBody } from '@taskflow/contracts';
import { HttpError, httpErrorBody, readBody, UNAVAILABLE_HEADERS } from '@taskflow/http-guard';
import type { Context, Logger } from '@taskflow/router';
import { describeIssues, issuesOf, StaleVersion } from '@taskflow/router';
import { getTRPCErrorFromUnknown, type TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { ZodError } from 'zod';
import { callProcedure, inputJsonSchema, procedureDef, typesOf } from './procedures';
import { REST_ROUTES, type RestRoute } from './routes';

interface CompiledRoute {
  route: RestRoute;
  pattern: RegExp;
  params: string[];
}

const compiled: CompiledRoute[] = REST_ROUTES.map((route) => {
  const params: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}/?$`), params };
});

export type RouteMatch =
  | { kind: 'route'; route: RestRoute; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'none' };

export function matchRoute(method: string, pathname: string): RouteMatch {
  const allow: string[] = [];
  for (const c of compiled) {
    const m = c.pattern.exec(pathname);
    if (!m) continue;
    if (c.route.method !== method) {
      allow.push(c.route.method);
      continue;
    }
    const params: Record<string, string> = {};
    c.params.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1] ?? '');
    });
    return { kind: 'route', route: c.route, params };
  }
  return allow.length ? { kind: 'method-not-allowed', allow } : { kind: 'none' };
}

/** Path and query values arrive as strings: give them the type the schema expects. */
function coerce(value: string, types: string[]): unknown {
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value))
    return Number(value);
  if (types.includes('boolean')) {
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
  }
  if (types.includes('null') && value === 'null') return null;
  return value;
}

async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const text = (await readBody(req, limit)).trim();
  if (!text) return undefined;
  const type = req.headers['content-type'] ?? 'application/json';
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'PARSE_ERROR', 'The request body is not valid JSON');
  }
}

/** A route that reads no body refuses one rather than ignore what it says. */
async function refuseBody(
  req: IncomingMessage,
  route: RestRoute,
  limit: number,
): Promise<undefined> {
  if ((await readBody(req, limit)).trim()) {
    throw new HttpError(
      400,
      'BAD_REQUEST',
      `${route.method} ${route.path} takes no request body${route.input === 'query' ? '; send its input as query parameters' : ''}`,
    );
  }
  return undefined;
}

/** `"3"`, `W/"3"` or `3` → 3; `*` or absent → undefined. */
function parseIfMatch(header: string | undefined): number | undefined {
  if (!header || header.trim() === '*') return undefined;
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!m)
    throw new HttpError(400, 'BAD_REQUEST', 'If-Match must be an ETag from this API, e.g. "3"');
  return Number(m[1]);
}

export function etagOf(version: number): string {
  return `"${version}"`;
}

function assembleInput(
  route: RestRoute,
  params: Record<string, string>,
  query: URLSearchParams,
  body: unknown,
): Record<string, unknown> | undefined {
  const schema = inputJsonSchema(route.procedure);
  const props = schema.properties ?? {};
  const rename = (key: string) => route.aliases?.[key] ?? key;
  const fromStrings = (entries: Iterable<[string, string]>) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of entries) {
      const field = rename(key);
      // `limit=1&limit=2`, or `project=a&project_slug=b`: no value is picked silently.
      if (field in out) throw new HttpError(400, 'BAD_REQUEST', `${field} is given more than once`);
      out[field] = coerce(value, typesOf(props[field]));
    }
    return out;
  };
  const path = fromStrings(Object.entries(params));
  const takesQuery = route.input === 'query' || route.input === 'query+body';
  const ignored = takesQuery ? [] : [...new Set(query.keys())];
  if (ignored.length) {
    // Silently dropping them would, for `?expected_version=`, turn a conditional change into an unconditional one.
    throw new HttpError(
      400,
      'BAD_REQUEST',
      `${route.method} ${route.path} takes no query parameters (got ${ignored.join(', ')})${route.input === 'body' ? '; send them in the JSON body' : ''}`,
    );
  }
  const fromQuery = takesQuery ? fromStrings(query.entries()) : {};
  if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
    throw new HttpError(400, 'BAD_REQUEST', 'The request body must be a JSON object');
  }
  const fromBody = (body ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(path)) {
    if (key in fromBody && fromBody[key] !== value) {
      throw new HttpError(400, 'BAD_REQUEST', `The body's ${key} does not match the path`);
    }
  }
  if (procedureDef(route.procedure).inputs.length === 0) return undefined;
  return { ...fromQuery, ...fromBody, ...path };
}

export function errorBody(
  status: number,
  code: string,
  message: string,
  issues?: ErrorBody['issues'],
): ErrorBody {
  return { ...httpErrorBody(status, code, message), ...(issues && { issues }) };
}

export interface RestResult {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Runs one REST request through its procedure; never throws. */
export async function handleRest(
  req: IncomingMessage,
  url: URL,
  match: Extract<RouteMatch, { kind: 'route' }>,
  ctx: Context,
  options: { bodyLimitBytes: number; logger: Logger },
): Promise<RestResult> {
  const result = await runProcedure(req, url, match, ctx, options);
  // The caller's quota, on successes and refusals alike (empty when nothing was counted).
  return { ...result, headers: { ...result.headers, ...ctx.rateLimit?.headers() } };
}

async function runProcedure(
  req: IncomingMessage,
  url: URL,
  match: Extract<RouteMatch, { kind: 'route' }>,
  ctx: Context,
  options: { bodyLimitBytes: number; logger: Logger },
): Promise<RestResult> {
  const { route, params } = match;
  let ifMatchUsed = false;
  try {
    const body =
      route.input === 'body' || route.input === 'query+body'
        ? await readJsonBody(req, options.bodyLimitBytes)
        : await refuseBody(req, route, options.bodyLimitBytes);
    const input = assembleInput(route, params, url.searchParams, body);
    const ifMatch = route.ifMatch ? parseIfMatch(req.headers['if-match']) : undefined;
    if (input && ifMatch !== undefined) {
      if (input.expected_version !== undefined && input.expected_version !== ifMatch) {
        throw new HttpError(400, 'BAD_REQUEST', 'If-Match and expected_version disagree');
      }
      input.expected_version = ifMatch;
      ifMatchUsed = true;
    }
    const data = await callProcedure(ctx, route.procedure, input);
    const headers: Record<string, string> = {};
    const version = (data as { version?: unknown }).version;
    if (route.etag && typeof version === 'number') headers.etag = etagOf(version);
    if (route.status === 201) {
      const created = data as { id?: number; slug?: string };
      headers.location =
        route.path === '/api/projects'
          ? `/api/projects/${created.slug}`
          : `/api/tasks/${created.id}`;
    }
    if (req.method === 'GET' && headers.etag && req.headers['if-none-match'] === headers.etag) {
      return { status: 304, headers, body: undefined };
    }
    return { status: route.status ?? 200, headers, body: data };
  } catch (caught) {
    if (caught instanceof HttpError) {
      return {
        status: caught.status,
        headers: {},
        body: errorBody(caught.status, caught.code, caught.message),
      };
    }
    const error = getTRPCErrorFromUnknown(caught);
    return restError(error, ifMatchUsed, options.logger, route);
  }
}

function restError(
  error: TRPCError,
  ifMatchUsed: boolean,
  logger: Logger,
  route: RestRoute,
): RestResult {
  if (ifMatchUsed && error.cause instanceof StaleVersion) {
    return { status: 412, headers: {}, body: errorBody(412, 'PRECONDITION_FAILED', error.message) };
  }
  const status = getHTTPStatusCodeFromError(error);
  const headers: Record<string, string> =
    status === 401
      ? { 'www-authenticate': 'Bearer' }
      : status === 503
        ? { ...UNAVAILABLE_HEADERS }
        : {};
  if (error.code === 'INTERNAL_SERVER_ERROR') {
    logger.error('procedure failed', {
      path: route.procedure,
      error: error.message,
      cause: error.cause instanceof Error ? error.cause.stack : String(error.cause),
    });
    return { status, headers, body: errorBody(status, error.code, 'Internal server error') };
  }
  const validation =
    error.code === 'BAD_REQUEST' && error.cause instanceof ZodError ? error.cause : undefined;
  if (validation) {
    const issues = issuesOf(validation);
    return { status, headers, body: errorBody(status, error.code, describeIssues(issues), issues) };
  }
  return { status, headers, body: errorBody(status, error.code, error.message) };
}
