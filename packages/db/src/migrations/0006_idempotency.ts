import type { Kysely } from 'kysely';
import { sql } from 'kysely';

// Idempotent retries: the first outcome of a mutation sent with an Idempotency-Key,
// per caller and key, written in the mutation's own transaction (a row exists only
// if the change committed). `status` is null while the first call is running; its
// transaction holds the row, so a duplicate waits for the outcome. `body` is json,
// not jsonb, so a replay sends the stored body byte for byte (jsonb reorders keys).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table idempotency_keys (
    principal text not null,
    key text not null check (key ~ '^[!-~]{1,255}$'),
    fingerprint text not null,
    status integer check (status between 200 and 499),
    body json,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    primary key (principal, key)
  )`.execute(db);
  // The sweeper deletes by expiry.
  await sql`create index idempotency_keys_expires_at on idempotency_keys (expires_at)`.execute(db);
}
