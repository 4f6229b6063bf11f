// Idempotency-Key: the first outcome of a keyed mutation is stored, per caller and
// key, in the mutation's own transaction; a retry with the same key gets it back
// instead of running again. Used by inTransaction (trpc.ts), the one place every
// mutation passes through, whether it came over tRPC or REST.
import { createHash } from 'node:crypto';
import { IDEMPOTENCY_KEY_PATTERN } from '@taskflow/contracts';
import { type DB, type Kysely, sql, sqlState, type Transaction } from '@taskflow/db';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { z } from 'zod';
import { badRequest, conflict, StaleVersion, unprocessable } from './errors';

/** How long an outcome is kept; a key reused after that runs again. */
export const IDEMPOTENCY_TTL_HOURS = 24;
/** A keyed call sweeps expired keys with this chance: cheap, and no job to schedule. */
const SWEEP_CHANCE = 1 / 64;
const SWEEP_BATCH = 500;

/** What a request says about idempotency; `replayed` is set when a stored outcome answers it. */
export interface IdempotencyRequest {
  /** The Idempotency-Key header as received (validated by the mutation). */
  key: string | undefined;
  /** Why the key cannot be used for this request (e.g. a tRPC batch of several calls). */
  refusal: string | undefined;
  replayed: boolean;
}

/** The key of a mutation call, or undefined when none was sent; 400 when it is unusable. */
export function usableKey(request: IdempotencyRequest): string | undefined {
  if (request.refusal) throw badRequest(request.refusal);
  const { key } = request;
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw badRequest('Idempotency-Key must be 1 to 255 visible ASCII characters, sent once');
  }
  return key;
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function fingerprintOf(procedure: string, input: unknown): string {
  return createHash('sha256').update(procedure).update('\n').update(canonical(input)).digest('hex');
}

export interface KeyScope {
  principal: string;
  key: string;
  fingerprint: string;
}

export interface StoredOutcome {
  status: number;
  body: unknown;
}

/**
 * Takes the key for this transaction, or returns the outcome stored under it.
 * The insert waits while another transaction holds an uncommitted row for the same
 * key (a duplicate still running), then sees its committed outcome: duplicates wait,
 * they never run twice. If that transaction rolled back, this one runs instead.
 */
export async function claimKey(
  trx: Transaction<DB>,
  scope: KeyScope,
): Promise<StoredOutcome | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await trx
      .insertInto('idempotency_keys')
      .values({
        principal: scope.principal,
        key: scope.key,
        fingerprint: scope.fingerprint,
        status: null,
        body: null,
        expires_at: sql<Date>`now() + make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`,
      })
      .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted) return undefined;
    const row = await trx
      .selectFrom('idempotency_keys')
      .select(['fingerprint', 'status', 'body', sql<boolean>`expires_at <= now()`.as('expired')])
      .where('principal', '=', scope.principal)
      .where('key', '=', scope.key)
      .forUpdate()
      .executeTakeFirst();
    // Swept between the two statements: take it again.
    if (!row) continue;
    if (row.expired) {
      // Kept past its time (not swept yet): the key is free again.
      await trx
        .deleteFrom('idempotency_keys')
        .where('principal', '=', scope.principal)
        .where('key', '=', scope.key)
        .execute();
      continue;
    }
    if (row.fingerprint !== scope.fingerprint) {
      throw unprocessable(
        'This Idempotency-Key was already used for a different request; use a new key for a new request',
      );
    }
    // Committed rows always hold an outcome; an empty one would be a bug, not a retry.
    if (row.status === null)
      throw conflict('The first request with this Idempotency-Key is still running');
    return { status: row.status, body: row.body };
  }
  throw conflict('The Idempotency-Key is changing hands; retry');
}

export async function storeOutcome(
  trx: Transaction<DB>,
  scope: KeyScope,
  outcome: StoredOutcome,
): Promise<void> {
  await trx
    .updateTable('idempotency_keys')
    .set({ status: outcome.status, body: JSON.stringify(outcome.body ?? null) })
    .where('principal', '=', scope.principal)
    .where('key', '=', scope.key)
    .execute();
}

const StoredError = z.object({
  code: z.string(),
  message: z.string(),
  stale: z.boolean().optional(),
});

/**
 * Which refusals are stored (and replayed) like successes: those the procedure decided
 * from the data (403, 404, 409, 412, 422, ...). Not stored: invalid input (the call never
 * started), transient conflicts (serialization, deadlock: a retry may well succeed) and
 * every 5xx, so a retry after an outage runs again.
 */
export function storableFailure(error: TRPCError): StoredOutcome | undefined {
  const status = getHTTPStatusCodeFromError(error);
  if (status < 400 || status >= 500 || status === 429 || status === 401) return undefined;
  if (error.code === 'BAD_REQUEST' && error.cause instanceof z.ZodError) return undefined;
  const state = sqlState(error.cause ?? error);
  if (state === '40001' || state === '40P01') return undefined;
  return {
    status,
    body: {
      code: error.code,
      message: error.message,
      ...(error.cause instanceof StaleVersion && { stale: true }),
    },
  };
}

/** A stored refusal, thrown again as the error it was. */
export function replayedError(outcome: StoredOutcome): TRPCError {
  const parsed = StoredError.safeParse(outcome.body);
  if (!parsed.success)
    return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Unreadable stored outcome' });
  const { code, message, stale } = parsed.data;
  return new TRPCError({
    code: code as TRPCError['code'],
    message,
    ...(stale && { cause: new StaleVersion(message) }),
  });
}

/** Deletes up to `limit` expired keys; returns how many. Safe to run from many processes at once. */
export async function sweepExpiredKeys(db: Kysely<DB>, limit = SWEEP_BATCH): Promise<number> {
  const result = await sql`
    delete from idempotency_keys where ctid in (
      select ctid from idempotency_keys where expires_at <= now()
      limit ${limit} for update skip locked
    )`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** After a keyed call: now and then, sweep; never in the caller's way. */
export function maybeSweep(db: Kysely<DB>, onError: (error: unknown) => void): void {
  if (Math.random() >= SWEEP_CHANCE) return;
  sweepExpiredKeys(db).catch(onError);
}
