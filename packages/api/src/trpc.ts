import { type DB, sql, type Transaction } from '@taskflow/db';
import { initTRPC, TRPCError } from '@trpc/server';
import { principalFromClaims, unstorableClaim } from './auth/principal';
import { TokenError } from './auth/verify-token';
import type { Context } from './context';
import { badRequest, forbidden, formatTrpcError, translateError, unauthorized } from './errors';
import {
  claimKey,
  fingerprintOf,
  type KeyScope,
  maybeSweep,
  replayedError,
  type StoredOutcome,
  storableFailure,
  storeOutcome,
  usableKey,
} from './idempotency';
import type { Actor } from './services/actor';
import { auditRowsWritten } from './services/record';
import { ensureWorker } from './services/workers';

/** How often an idle event stream gets a keep-alive. */
export const SSE_PING_MS = 15_000;

const t = initTRPC.context<Context>().create({
  // Never put stack traces in responses, whatever NODE_ENV says.
  isDev: false,
  errorFormatter: ({ shape, error, ctx }) => formatTrpcError(shape, error, ctx?.requestId),
  // Subscriptions (events.onChange) over SSE: a ping comment keeps idle streams open
  // through proxies, and a client that hears nothing for longer reconnects (resuming
  // from its last event id).
  sse: {
    ping: { enabled: true, intervalMs: SSE_PING_MS },
    client: { reconnectAfterInactivityMs: SSE_PING_MS * 2 },
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;

/** Outermost: database outages become 503, constraint races 409, never a raw 500. */
const translateErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const translated = translateError(result.error);
    if (translated) throw translated;
  }
  return result;
});

export const publicProcedure = t.procedure.use(translateErrors);

/**
 * Verifies the bearer token, counts the call against the caller's rate limit
 * and resolves the caller in the worker registry.
 */
export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  let principal = ctx.principal;
  if (!principal) {
    if (ctx.token === undefined) throw unauthorized('Missing bearer token');
    if (ctx.token === '') throw unauthorized("The Authorization header must be 'Bearer <token>'");
    if (!ctx.verifyToken) throw unauthorized('Token verification is not configured');
    try {
      principal = principalFromClaims(await ctx.verifyToken(ctx.token));
    } catch (error) {
      if (error instanceof TokenError && error.kind === 'unavailable') {
        throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: error.message, cause: error });
      }
      throw unauthorized(error instanceof TokenError ? error.message : 'Invalid token', error);
    }
  }
  const claim = unstorableClaim(principal);
  if (claim) {
    throw badRequest(
      `The token's '${claim}' claim contains NUL characters or unpaired UTF-16 surrogates`,
    );
  }
  // Counted once the caller is known (401 first, so nobody is charged for a
  // stranger's calls) and before any work; each call of a tRPC batch counts.
  const verdict = await ctx.rateLimit?.consume(principal.id);
  if (verdict?.exceeded) {
    throw new TRPCError({
      code: 'TOO_MANY_REQUESTS',
      message: `Rate limit exceeded: ${verdict.limit} calls a minute per caller; retry in ${verdict.resetSeconds} s`,
    });
  }
  ctx.onAuthenticated?.(principal.id);
  // A first call registers the caller: an audit row, counted and announced like any other.
  const worker = await ensureWorker(ctx.db, principal, {
    client: ctx.client,
    cache: ctx.workers,
    onAuditCommitted: (rows) => {
      ctx.metrics?.auditRowsCommitted(rows);
      ctx.onAuditCommitted?.(rows);
    },
  });
  return next({
    ctx: {
      /** When the caller's credentials lapse: a stream (events.onChange) ends then. */
      credentialsExpireAt: principal.expiresAt,
      actor: {
        id: worker.id,
        type: worker.type,
        name: worker.name,
        role: principal.role,
        is_admin: principal.role === 'admin',
        client: ctx.client,
      },
    },
  });
});

export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (!ctx.actor.is_admin) throw forbidden('Admins only');
  return next();
});

class Rollback extends Error {}

/** The caller a key belongs to: protectedProcedure has put the actor on the context. */
function principalOf(ctx: object): string {
  const actor = (ctx as { actor?: Actor }).actor;
  if (!actor) throw new Error('an Idempotency-Key needs an authenticated caller');
  return actor.id;
}

/**
 * Runs the rest of a mutation in exactly one transaction, handed down as
 * `ctx.trx` (and as `ctx.db`, so nothing can slip outside it). A failed
 * procedure rolls everything back, its audit rows included.
 *
 * With an Idempotency-Key, the transaction first takes the key (or finds the
 * outcome stored under it, and answers with that), runs the procedure after a
 * savepoint and stores its outcome before committing: a stored outcome means the
 * change committed. A refusal worth storing rolls back to the savepoint, so only
 * the key and its outcome commit. Without a key nothing of this runs.
 */
export const inTransaction = t.middleware(async ({ ctx, next, type, path, getRawInput }) => {
  if (type !== 'mutation') throw new Error('inTransaction is for mutations only');
  const run = (trx: Transaction<DB>) => next({ ctx: { db: trx, trx } });
  type Outcome = Awaited<ReturnType<typeof run>>;
  const key = usableKey(ctx.idempotency);
  const scope: KeyScope | undefined = key
    ? { principal: principalOf(ctx), key, fingerprint: fingerprintOf(path, await getRawInput()) }
    : undefined;
  let outcome: Outcome | undefined;
  let replay: StoredOutcome | undefined;
  let transaction: Transaction<DB> | undefined;
  try {
    await ctx.db.transaction().execute(async (trx) => {
      transaction = trx;
      if (!scope) {
        outcome = await run(trx);
        if (!outcome.ok) throw new Rollback();
        return;
      }
      replay = await claimKey(trx, scope);
      if (replay) return;
      await sql`savepoint idempotent_call`.execute(trx);
      outcome = await run(trx);
      if (outcome.ok) {
        await storeOutcome(trx, scope, { status: 200, body: outcome.data });
        return;
      }
      const stored = storableFailure(translateError(outcome.error) ?? outcome.error);
      if (!stored) throw new Rollback();
      await sql`rollback to savepoint idempotent_call`.execute(trx);
      await storeOutcome(trx, scope, stored);
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  if (scope)
    maybeSweep(ctx.db, (error) => ctx.logger.warn({ err: error }, 'idempotency sweep failed'));
  if (replay) {
    ctx.idempotency.replayed = true;
    if (replay.status >= 400) throw replayedError(replay);
    // The procedure's validated output, as it was first sent; nothing below runs.
    return { ok: true, data: replay.body } as Outcome;
  }
  if (!outcome) throw new Error('transaction finished without a result');
  // Counted only now that they are committed.
  if (outcome.ok && transaction) {
    const rows = auditRowsWritten(transaction);
    ctx.metrics?.auditRowsCommitted(rows);
    if (rows > 0) ctx.onAuditCommitted?.(rows);
  }
  return outcome;
});

export const protectedMutation = protectedProcedure.use(inTransaction);
export const adminMutation = adminProcedure.use(inTransaction);
