import type { DB, Kysely } from '@taskflow/db';
import { sql } from '@taskflow/db';

/**
 * The transactions (virtual transaction ids) that may hold audit ids not yet committed:
 * those holding audit_log's RowExclusiveLock in this database.
 *
 * An insert takes that lock before it draws its id from the sequence, and keeps it until
 * its transaction ends; PostgreSQL releases a transaction's locks only once its commit
 * is visible. So a missing id whose holder is not in this list (taken after the id was
 * seen missing) will never appear if a later read does not find it. Only audit writers
 * of this database count: a long transaction elsewhere on the server holds nothing up.
 * pg_locks is readable by every role, and shows fast-path locks too.
 */
export async function auditWriters(db: Kysely<DB>): Promise<string[]> {
  const { rows } = await sql<{ writers: string[] | null }>`
    select array_agg(distinct l.virtualtransaction) as writers
    from pg_locks l
    where l.locktype = 'relation'
      and l.database = (select oid from pg_database where datname = current_database())
      and l.relation = 'audit_log'::regclass
      and l.mode = 'RowExclusiveLock'
      and l.granted`.execute(db);
  return rows[0]?.writers ?? [];
}

/** Whether any of `writers` still writes the audit log. */
export async function anyStillWriting(db: Kysely<DB>, writers: string[]): Promise<boolean> {
  if (!writers.length) return false;
  const now = new Set(await auditWriters(db));
  return writers.some((w) => now.has(w));
}
