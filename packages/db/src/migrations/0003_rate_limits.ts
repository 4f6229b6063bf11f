import type { Kysely } from 'kysely';
import { sql } from 'kysely';

// The API's per-principal request counters, shared by every API process
// (rate-limiter-flexible's RateLimiterPostgres). Created here rather than by
// the library at run time, so the API can run as a role that may not create
// tables. The library inserts positionally: the columns must stay
// (key, points, expire) in this order. Unlogged: counters need no WAL and
// may vanish in a crash or a failover; they refill within a minute anyway.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create unlogged table rate_limits (
    key text primary key,
    points integer not null default 0,
    expire bigint
  )`.execute(db);
  // The library deletes rows that expired over an hour ago every few minutes.
  await sql`create index rate_limits_expire on rate_limits (expire)`.execute(db);
}
