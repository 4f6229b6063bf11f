import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DB, Kysely } from '@taskflow/db';
import type { Principal } from './auth/principal';
import type { TokenVerifier } from './auth/verify-token';
import type { Logger } from './logger';

export interface InnerContextOptions {
  db: Kysely<DB>;
  logger: Logger;
  verifyToken?: TokenVerifier | undefined;
  /** The raw bearer token; undefined when the request carried no Authorization header. */
  token?: string | undefined;
  /** An already-authenticated caller (createCaller tests, internal jobs): skips token checks. */
  principal?: Principal | undefined;
  requestId?: string;
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
}

/** The HTTP part: pulls the token and a request id off the request. */
export function createHttpContextFactory(deps: HttpContextDeps) {
  return ({ req }: { req: IncomingMessage }) => {
    const requestId = req.headers['x-request-id'];
    return createInnerContext({
      ...deps,
      token: bearerToken(req.headers),
      requestId:
        typeof requestId === 'string' && requestId.length <= 128 ? requestId : randomUUID(),
    });
  };
}
