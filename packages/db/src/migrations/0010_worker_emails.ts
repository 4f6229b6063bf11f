import type { Kysely } from 'kysely';
import { sql } from 'kysely';

// A worker's email, from the token's `email` claim, so a project owner can find a person
// or an agent by the address they know. Trigram indexes serve the picker's substring
// search on names; an email is matched whole (lower-cased), by a plain index.
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    sql`alter table workers add column email text check (length(email) between 3 and 320)`,
    sql`create index workers_email on workers (lower(email))`,
    sql`create index workers_name_trgm on workers using gin (name gin_trgm_ops)`,
  ])
    await statement.execute(db);
}
