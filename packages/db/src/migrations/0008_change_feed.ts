import type { Kysely } from 'kysely';
import { sql } from 'kysely';

// The change feed's wake-up. Every insert into audit_log (any writer: a procedure,
// the lease sweeper, a script) notifies `taskflow_changes` once per statement, at
// commit, so each API process's change hub re-reads the log. The notification
// carries nothing: the log is the source of truth, the wake-up only says "look".
// audit_log_project (project_slug, id) from 0001 already serves the feed's
// project-filtered reads, and the primary key the unfiltered ones.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create function audit_log_notify_change() returns trigger language plpgsql as $$
  begin
    perform pg_notify('taskflow_changes', '');
    return null;
  end
  $$`.execute(db);
  await sql`create trigger audit_log_notify_change after insert on audit_log
    for each statement execute function audit_log_notify_change()`.execute(db);
}
