import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CLIENT_NAME_PATTERN } from '@taskflow/contracts';
import type { DB, Kysely } from '@taskflow/db';
import type { Principal } from './auth/principal';
import type { TokenVerifier } from './auth/verify-token';
import type { Logger } from './logger';
import { type PrincipalRateLimiter, RequestRateLimit } from './rate-limit';

export interface InnerContextOptions {
  db: Kysely<DB>;
  logger: Logger;
  verifyToken?: TokenVerifier | undefined;
  /** The raw bearer token; undefined when the request carried no Authorization header. */
  token?: string | undefined;
  /** An already-authenticated caller (createCaller tests, internal jobs): skips token checks. */
  principal?: Principal | undefined;
  requestId?: string;
  /** Which client the call came through, recorded in the audit trail. */
  client?: string | undefined;
  /** Counts this request's calls against the caller's quota; absent: not limited. */
  rateLimit?: RequestRateLimit | undefined;
}

/** Everything a procedure needs that does not depend on HTTP: easy to build in tests. */
export function createInnerContext(opts: InnerContextOptions) {
  return {
    db: opts.db,
    logger: opts.logger,
    verifyToken: opts.verifyToken,
    token: opts.token,
    principal: opts.principal,
    requestId: opts.requestId ?? randomUUID(),
    client: opts.client,
    rateLimit: opts.rateLimit,
  };
}
export type Context = ReturnType<typeof createInnerContext>;

/**
 * Reads the bearer token. Also accepts a Fetch `Request`-like header bag, which
 * is what some adapters hand over despite their types.
 */
export function bearerToken(headers: IncomingMessage['headers'] | Headers): string | undefined {
  const raw =
    typeof (headers as Headers).get === 'function'
      ? (headers as Headers).get('authorization')
      : (headers as IncomingMessage['headers']).authorization;
  if (raw === null || raw === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(raw);
  // A malformed header is not "no header": it must fail, not fall through to anonymous.
  return match?.[1] ?? '';
}

export interface HttpContextDeps {
  db: Kysely<DB>;
  logger: Logger;
  verifyToken: TokenVerifier;
  /** The process's limiter; undefined when the limit is off. */
  rateLimiter?: PrincipalRateLimiter | undefined;
}

/**
 * The `x-taskflow-client` header, lowercased, if it is a sane name; else the
 * surface's own default (`trpc` or `rest`).
 */
export function clientName(headers: IncomingMessage['headers'], fallback: string): string {
  const raw = headers['x-taskflow-client'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim().toLowerCase();
  return value && CLIENT_NAME_PATTERN.test(value) ? value : fallback;
}

/** The HTTP part: pulls the token, a request id and the client's name off the request. */
export function createHttpContextFactory(deps: HttpContextDeps, surface: 'trpc' | 'rest' = 'trpc') {
  return ({ req }: { req: IncomingMessage }) => {
    const requestId = req.headers['x-request-id'];
    const { rateLimiter, ...rest } = deps;
    return createInnerContext({
      ...rest,
      rateLimit: rateLimiter && new RequestRateLimit(rateLimiter),
      token: bearerToken(req.headers),
      client: clientName(req.headers, surface),
      requestId:
        typeof requestId === 'string' && requestId.length <= 128 ? requestId : randomUUID(),
    });
  };
}
