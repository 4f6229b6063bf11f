import { STATUS_CODES } from 'node:http';
import { isDatabaseUnavailable } from '@taskflow/db';
import { parseBodiesAsText } from '@taskflow/service';
import { fromNodeHeaders } from 'better-auth/node';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UNAVAILABLE_REPLY_HEADERS, unavailableBody } from './answer';
import type { Auth } from './auth';
import { CLIENT_IP_HEADER, clientIp } from './client-ip';
import { recordDatabaseFaults } from './database-faults';
import { sharedErrorBody } from './error-shape';
import { withRequestLog } from './request-log';

const PREFIX = '/api/auth';
const PATTERN = `${PREFIX}/*`;

interface Endpoint {
  path?: unknown;
  options?: { method?: unknown };
}

/**
 * Better Auth's HTTP endpoints without path parameters, with the methods each answers:
 * route labels for the access line and metrics (anything else under /api/auth is counted
 * under the pattern, so a caller cannot mint new label values), and the Allow of a 405.
 * Better Auth serves no HEAD, and a HEAD forwarded as GET could mint a token or verify an
 * email: HEAD is refused like any other method not listed.
 */
function knownEndpoints(auth: Auth): Map<string, Set<string>> {
  const disabled = new Set(auth.options.disabledPaths ?? []);
  const endpoints = new Map<string, Set<string>>();
  for (const endpoint of Object.values(auth.api as Record<string, Endpoint>)) {
    const { path } = endpoint;
    if (typeof path !== 'string' || path.includes(':') || disabled.has(path)) continue;
    const declared = endpoint.options?.method;
    const methods = (Array.isArray(declared) ? declared : [declared]).filter(
      (method): method is string => typeof method === 'string',
    );
    const known = endpoints.get(path) ?? new Set<string>();
    for (const method of methods) known.add(method);
    endpoints.set(path, known);
  }
  return endpoints;
}

/** The id of the user a successful answer speaks for: a session's, or a token's `sub`. */
function principalOf(path: string, payload: Buffer): string | undefined {
  try {
    if (path === '/get-session') {
      const id = (JSON.parse(payload.toString('utf8')) as { user?: { id?: unknown } } | null)?.user
        ?.id;
      return typeof id === 'string' ? id : undefined;
    }
    if (path === '/token') {
      const { token } = JSON.parse(payload.toString('utf8')) as { token?: unknown };
      // Minted here a moment ago: reading its claims needs no verification.
      const claims = typeof token === 'string' ? token.split('.')[1] : undefined;
      const sub = claims
        ? (JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { sub?: unknown }).sub
        : undefined;
      return typeof sub === 'string' ? sub : undefined;
    }
  } catch {
    // Not the answer expected: name nobody.
  }
  return undefined;
}

function endpointPath(request: FastifyRequest): string {
  const path = request.url.split('?')[0] ?? '';
  return path.slice(PREFIX.length).replace(/\/$/, '') || '/';
}

/**
 * Better Auth's Fastify integration: every /api/auth/* request becomes a Fetch Request for
 * `auth.handler`, whose status, headers (each Set-Cookie on its own) and body are copied
 * back. Registered in a scope of its own, where bodies are kept as text (strict UTF-8,
 * within the service's body limit), since Better Auth parses them itself.
 */
export function betterAuthRoutes(auth: Auth, trustedProxies: readonly string[]) {
  const endpoints = knownEndpoints(auth);

  /**
   * Better Auth's refusals in the shared error shape. It answers an unknown path, or a
   * known one with a method it does not take, 404 with no body at all: the latter becomes
   * a 405 with Allow.
   */
  const refusal = (request: FastifyRequest, reply: FastifyReply, status: number, text: string) => {
    const path = endpointPath(request);
    const allowed = endpoints.get(path);
    const wrongMethod =
      status === 404 &&
      !text &&
      allowed !== undefined &&
      allowed.size > 0 &&
      !allowed.has('*') &&
      !allowed.has(request.method);
    if (wrongMethod) {
      reply.code(405).header('allow', [...allowed].join(', '));
      status = 405;
    }
    const fallback = wrongMethod
      ? `${request.method} is not supported on ${PREFIX}${path}`
      : status === 404 && !text
        ? `No route for ${request.method} ${request.url.split('?')[0]}`
        : (STATUS_CODES[status] ?? 'Request failed');
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(sharedErrorBody(status, text, request.id, fallback));
  };
  return async (scope: FastifyInstance) => {
    scope.removeAllContentTypeParsers();
    parseBodiesAsText(scope, '*');

    scope.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: PATTERN,
      onRequest: async (request) => {
        const path = endpointPath(request);
        request.routeLabel = endpoints.has(path) ? `${PREFIX}${path}` : PATTERN;
      },
      handler: async (request, reply) => {
        const headers = fromNodeHeaders(request.headers);
        // Whatever the client sent under this name is replaced: rate limits key on it.
        headers.set(CLIENT_IP_HEADER, clientIp(request.raw, trustedProxies));
        // The body is handed on as text; the length of the bytes is the Request's business.
        headers.delete('content-length');
        headers.delete('transfer-encoding');
        const proto = request.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
        const url = new URL(request.url, `${proto}://${request.headers.host}`);
        const body =
          request.method !== 'GET' && typeof request.body === 'string' ? request.body : undefined;

        const { result, faults } = recordDatabaseFaults(() =>
          withRequestLog(request.log, () =>
            auth.handler(new Request(url, { method: request.method, headers, body })),
          ),
        );
        let response: Response;
        try {
          response = await result;
        } catch (error) {
          if (!faults.unavailable && !isDatabaseUnavailable(error)) throw error;
          return reply
            .code(503)
            .headers(UNAVAILABLE_REPLY_HEADERS)
            .send(unavailableBody(request.id));
        }
        // Better Auth reports a lost database as 500, or as 401 / 422 as if the caller were wrong.
        if (faults.unavailable && response.status >= 400) {
          await response.body?.cancel();
          return reply
            .code(503)
            .headers(UNAVAILABLE_REPLY_HEADERS)
            .send(unavailableBody(request.id));
        }

        reply.code(response.status);
        for (const [name, value] of response.headers) {
          if (name !== 'set-cookie' && name !== 'content-length') reply.header(name, value);
        }
        const cookies = response.headers.getSetCookie();
        if (cookies.length > 0) reply.header('set-cookie', cookies);
        // Better Auth's rate limit says when to come back only in X-Retry-After.
        const retryAfter = response.headers.get('x-retry-after');
        if (response.status === 429 && retryAfter && !response.headers.has('retry-after'))
          reply.header('retry-after', retryAfter);

        const payload = Buffer.from(await response.arrayBuffer());
        if (response.ok) request.principalId = principalOf(endpointPath(request), payload);
        if (response.status < 400) return reply.send(payload);
        return refusal(request, reply, response.status, payload.toString('utf8'));
      },
    });
  };
}
