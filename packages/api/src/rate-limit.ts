import { createHash } from 'node:crypto';
import type { Database } from '@taskflow/db';
import type { Logger } from '@taskflow/service';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
} from 'rate-limiter-flexible';

/** Calls a principal may make a minute unless configured otherwise: agents in loops are why. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;
const WINDOW_SECONDS = 60;
/** The table migration 0003_rate_limits creates. */
const TABLE = 'rate_limits';
/** The quota policy's name in the RateLimit-Policy and RateLimit fields. */
const POLICY = 'per-principal';

export interface RateLimitOptions {
  /** Calls per principal per minute; 0 turns the limit off. */
  perMinute: number;
  /**
   * PostgreSQL: the count lives in the database, shared by every API process.
   * Without a pool (PGlite: one process) it is this process's own.
   */
  pool?: Database['pool'];
}

/** What one counted call left of the caller's quota. */
export interface RateLimitVerdict {
  limit: number;
  remaining: number;
  /** Whole seconds until the window ends and the quota refills (at least 1). */
  resetSeconds: number;
  exceeded: boolean;
}

function verdictOf(limit: number, res: RateLimiterRes, exceeded: boolean): RateLimitVerdict {
  return {
    limit,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    exceeded,
  };
}

/**
 * Counts calls per authenticated principal in a fixed one-minute window.
 * Keys are a hash of the principal's id: fixed length, no character the
 * database refuses, and no user ids in a table that needs none.
 */
export class PrincipalRateLimiter {
  private readonly store: RateLimiterAbstract;
  /** This process's own count, used while the shared store is failing. */
  private readonly fallback: RateLimiterMemory | undefined;
  private storeFailing = false;

  constructor(
    readonly limit: number,
    pool: Database['pool'],
    private readonly logger: Logger,
  ) {
    const opts = { points: limit, duration: WINDOW_SECONDS };
    if (pool) {
      this.store = new RateLimiterPostgres({
        ...opts,
        storeClient: pool,
        storeType: 'pool',
        tableName: TABLE,
        // The migration made it: no CREATE TABLE at run time (the API's role may not have that right).
        tableCreated: true,
        clearExpiredByTimeout: true,
      });
      this.fallback = new RateLimiterMemory(opts);
    } else {
      this.store = new RateLimiterMemory(opts);
    }
  }

  /** Counts one call. Only the shared store can fail, and then this process counts instead. */
  async consume(principalId: string): Promise<RateLimitVerdict> {
    const key = createHash('sha256').update(principalId).digest('base64url');
    try {
      const verdict = verdictOf(this.limit, await this.store.consume(key), false);
      if (this.storeFailing) {
        this.storeFailing = false;
        this.logger.info('rate limit store recovered');
      }
      return verdict;
    } catch (error) {
      if (error instanceof RateLimiterRes) return verdictOf(this.limit, error, true);
      if (!this.fallback) throw error; // the memory store does not fail
      // Neither a 500 nor an unlimited caller: count in this process until the
      // database answers again (a request that needs it gets its own 503).
      if (!this.storeFailing) {
        this.storeFailing = true;
        this.logger.warn(
          { err: error },
          'rate limit store failed; counting per process until it recovers',
        );
      }
      return this.fallback.consume(key).then(
        (res) => verdictOf(this.limit, res, false),
        (res: RateLimiterRes) => verdictOf(this.limit, res, true),
      );
    }
  }
}

/** The process's limiter, or undefined when the limit is off. */
export function createRateLimiter(
  options: RateLimitOptions,
  logger: Logger,
): PrincipalRateLimiter | undefined {
  if (options.perMinute <= 0) return undefined;
  return new PrincipalRateLimiter(options.perMinute, options.pool, logger);
}

/**
 * One request's view of the limit. A tRPC batch counts each of its calls;
 * the response reports the tightest verdict among them.
 */
export class RequestRateLimit {
  private verdict: RateLimitVerdict | undefined;

  constructor(private readonly limiter: PrincipalRateLimiter) {}

  async consume(principalId: string): Promise<RateLimitVerdict> {
    const verdict = await this.limiter.consume(principalId);
    const seen = this.verdict;
    if (
      !seen ||
      (verdict.exceeded && !seen.exceeded) ||
      (verdict.exceeded === seen.exceeded && verdict.remaining < seen.remaining)
    ) {
      this.verdict = verdict;
    }
    return verdict;
  }

  /**
   * The response's fields, per draft-ietf-httpapi-ratelimit-headers-11:
   * `RateLimit-Policy: "per-principal";q=600;w=60` and
   * `RateLimit: "per-principal";r=<left>;t=<seconds to reset>`, plus
   * `Retry-After` (equal to t) once the quota is exceeded. Empty when no call
   * was counted (unauthenticated, or public).
   */
  headers(): Record<string, string> {
    const v = this.verdict;
    if (!v) return {};
    return {
      'ratelimit-policy': `"${POLICY}";q=${v.limit};w=${WINDOW_SECONDS}`,
      ratelimit: `"${POLICY}";r=${v.remaining};t=${v.resetSeconds}`,
      ...(v.exceeded && { 'retry-after': String(v.resetSeconds) }),
    };
  }
}
