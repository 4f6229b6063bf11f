import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CLIENT_NAME_PATTERN } from '@taskflow/contracts';
import type { DB, Kysely } from '@taskflow/db';
import type { Logger } from '@taskflow/service';
import type { Principal } from './auth/principal';
import type { TokenVerifier } from './auth/verify-token';
import type { WorkerCache } from './auth/worker-cache';
import type { ChangeHub, StreamGuard } from './events/change-hub';
import type { IdempotencyRequest } from './idempotency';
import type { RouterMetrics } from './metrics';
import { type PrincipalRateLimiter, RequestRateLimit } from './rate-limit';
import type { MemberScopes } from './services/task-scope';
import { WEBHOOK_DEFAULTS, type WebhookSettings } from './webhooks/settings';

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
  metrics?: RouterMetrics | undefined;
  /** Told the caller's id once the token is verified (the host's access line names it). */
  onAuthenticated?: ((principalId: string) => void) | undefined;
  /** The Idempotency-Key header as received; mutations validate and use it. */
  idempotencyKey?: string | undefined;
  /** Why this request's key cannot be used (a batch of several calls): its mutations get 400. */
  idempotencyRefusal?: string | undefined;
  /** Webhook rules (private networks, secret grace); default WEBHOOK_DEFAULTS. */
  webhooks?: WebhookSettings | undefined;
  /** Told after a mutation commits audit rows: wakes this process's webhook dispatcher. */
  onAuditCommitted?: ((auditRows: number) => void) | undefined;
  /** The process's change feed (events.*); absent: those procedures answer 503. */
  changes?: ChangeHub | undefined;
  /** The process's copies of callers' worker rows; absent: each call reads its caller's. */
  workers?: WorkerCache | undefined;
  /** The process's guesses of members' scopes, so a list is one query; absent: resolved each time. */
  scopes?: MemberScopes | undefined;
  /** The connection a subscription streams over, so the feed can cut off a client too slow to keep up. */
  streamGuard?: StreamGuard | undefined;
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
    metrics: opts.metrics,
    onAuthenticated: opts.onAuthenticated,
    webhooks: opts.webhooks ?? WEBHOOK_DEFAULTS,
    onAuditCommitted: opts.onAuditCommitted,
    changes: opts.changes,
    workers: opts.workers,
    scopes: opts.scopes,
    streamGuard: opts.streamGuard,
    idempotency: {
      key: opts.idempotencyKey,
      refusal: opts.idempotencyRefusal,
      replayed: false,
    } satisfies IdempotencyRequest as IdempotencyRequest,
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

/** What every request's context shares; its logger is the request's own (HttpRequestLike.log). */
export interface HttpContextDeps {
  db: Kysely<DB>;
  verifyToken: TokenVerifier;
  /** The process's limiter; undefined when the limit is off. */
  rateLimiter?: PrincipalRateLimiter | undefined;
  metrics?: RouterMetrics | undefined;
  webhooks?: WebhookSettings | undefined;
  onAuditCommitted?: ((auditRows: number) => void) | undefined;
  changes?: ChangeHub | undefined;
  workers?: WorkerCache | undefined;
  scopes?: MemberScopes | undefined;
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

/** What a host's request offers the context (a Fastify request fits). */
export interface HttpRequestLike {
  headers: IncomingMessage['headers'];
  /** The request's id (X-Request-Id): on every log line and in every error body. */
  id: string;
  /** A logger bound to the request, so each of its lines carries the id. */
  log: Logger;
  /** Set once the caller is authenticated, for the host's access line. */
  principalId: string | undefined;
}

/**
 * The Idempotency-Key header. It names one call: on a tRPC batch of several calls it
 * is ambiguous, so those calls' mutations are refused rather than guessed at.
 */
function idempotencyOf(
  headers: IncomingMessage['headers'],
  calls: number,
): Pick<InnerContextOptions, 'idempotencyKey' | 'idempotencyRefusal'> {
  const raw = headers['idempotency-key'];
  if (raw === undefined) return {};
  const key = Array.isArray(raw) ? raw.join(', ') : raw;
  return calls > 1
    ? {
        idempotencyKey: key,
        idempotencyRefusal:
          'Idempotency-Key applies to a request with one call; send keyed mutations unbatched',
      }
    : { idempotencyKey: key };
}

/** The HTTP part: the token, the request's id and logger, and the client's name. */
export function createHttpContextFactory(deps: HttpContextDeps, surface: 'trpc' | 'rest' = 'trpc') {
  const { rateLimiter, ...rest } = deps;
  /** `calls`: how many calls the request carries (a tRPC batch may carry several). */
  return (request: HttpRequestLike, calls = 1) =>
    createInnerContext({
      ...idempotencyOf(request.headers, calls),
      ...rest,
      logger: request.log,
      requestId: request.id,
      rateLimit: rateLimiter && new RequestRateLimit(rateLimiter),
      token: bearerToken(request.headers),
      client: clientName(request.headers, surface),
      onAuthenticated: (id) => {
        request.principalId = id;
      },
    });
}
