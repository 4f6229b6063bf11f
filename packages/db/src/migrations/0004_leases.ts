import type { Kysely } from 'kysely';
import { sql } from 'kysely';

// Claims that expire: a claimed task holds a lease (lease_expires_at) that
// heartbeats and progress reports extend; a sweeper returns expired ones to
// pending. claim_epoch counts the claims, so a move that presents an older
// epoch (a slow agent whose lease was swept) can be refused. The sweeper
// writes its audit rows as the system, hence the third actor_type.
const statements = [
  `alter table tasks
    add column lease_expires_at timestamptz,
    add column lease_seconds integer check (lease_seconds between 10 and 86400),
    add column claim_epoch integer not null default 0 check (claim_epoch >= 0)`,
  `alter table projects
    add column default_lease_seconds integer check (default_lease_seconds between 10 and 86400)`,
  `alter table audit_log drop constraint audit_log_actor_type_check`,
  `alter table audit_log add constraint audit_log_actor_type_check
    check (actor_type in ('human', 'agent', 'system'))`,
  // claimNext's order among pending tasks: priority, then age, then id.
  `create index tasks_claim_queue on tasks (priority_rank desc, created_at, id) where status = 'pending'`,
  // The sweeper's scan: only leased tasks in progress.
  `create index tasks_lease_expiry on tasks (lease_expires_at)
    where status = 'in_progress' and lease_expires_at is not null`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}
