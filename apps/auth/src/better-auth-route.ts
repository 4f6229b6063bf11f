import { isDatabaseUnavailable } from '@taskflow/db';
import { parseBodiesAsText } from '@taskflow/service';
import { fromNodeHeaders } from 'better-auth/node';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UNAVAILABLE_REPLY_HEADERS, unavailableBody } from './answer';
import type { Auth } from './auth';
import { CLIENT_IP_HEADER, clientIp } from './client-ip';
import { recordDatabaseFaults } from './database-faults';
import { withRequestLog } from './request-log';

const PREFIX = '/api/auth';
const PATTERN = `${PREFIX}/*`;

/**
 * Better Auth's HTTP endpoints without path parameters, as route labels for the access
 * line and metrics. Anything else under /api/auth is counted under the pattern, so a
 * caller cannot mint new label values.
 */
function knownEndpoints(auth: Auth): Set<string> {
  const disabled = new Set(auth.options.disabledPaths ?? []);
  const paths = Object.values(auth.api as Record<string, { path?: unknown }>).flatMap((endpoint) =>
    typeof endpoint.path === 'string' &&
    !endpoint.path.includes(':') &&
    !disabled.has(endpoint.path)
      ? [endpoint.path]
      : [],
  );
  return new Set(paths);
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
        return reply.send(payload);
      },
    });
  };
}
