import type { Kysely } from 'kysely';
import { sql } from 'kysely';

// The audit trigger of 0008 notified from every writing transaction, and every
// transaction that sends NOTIFY takes one cluster-wide lock in turn at commit: writes
// queued behind each other's commits, a few hundred a second on a machine that commits
// thousands. The API's own connections now say `taskflow.announce_changes=off` (set
// when they connect) and announce their commits themselves, coalesced, outside the
// writers' transactions; any other writer (a script, psql) still wakes the feed here.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create or replace function audit_log_notify_change() returns trigger language plpgsql as $$
  begin
    if coalesce(current_setting('taskflow.announce_changes', true), '') <> 'off' then
      perform pg_notify('taskflow_changes', '');
    end if;
    return null;
  end
  $$`.execute(db);
}
