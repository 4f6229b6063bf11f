import { type DB, type Kysely, sql } from '@taskflow/db';

export interface SweptTask {
  id: number;
  project_slug: string;
  previous_assignee: string | null;
  claim_epoch: number;
}

/** Who the audit trail names for what nobody asked for. */
export const SYSTEM_ACTOR_ID = 'system';

/**
 * Returns tasks whose lease expired to pending and unassigned, each with an
 * audit row by the system (action 'released', reason 'lease_expired'). One
 * statement: rows are locked with SKIP LOCKED and re-checked under the lock,
 * so any number of processes may sweep at once and each task is swept once
 * (a heartbeat holding the row's lock is skipped, not overridden).
 */
export async function sweepExpiredLeases(db: Kysely<DB>, batch = 100): Promise<SweptTask[]> {
  const { rows } = await sql<SweptTask>`
    with expired as (
      select id, assigned_to, claim_epoch, lease_expires_at
      from tasks
      where status = 'in_progress' and lease_expires_at < now()
      order by lease_expires_at
      limit ${batch}
      for update skip locked
    ), swept as (
      update tasks t
      set status = 'pending', assigned_to = null, lease_expires_at = null, lease_seconds = null,
          version = t.version + 1, updated_at = now()
      from expired e
      where t.id = e.id
      returning t.id, t.project_id, e.assigned_to, e.claim_epoch, e.lease_expires_at
    ), audited as (
      insert into audit_log (task_id, project_slug, actor_id, actor_type, action, context)
      select s.id, p.slug, ${SYSTEM_ACTOR_ID}, 'system', 'released',
        jsonb_build_object(
          'from', 'in_progress', 'to', 'pending', 'reason', 'lease_expired',
          'previous_assignee', s.assigned_to, 'claim_epoch', s.claim_epoch,
          'lease_expired_at', s.lease_expires_at)
      from swept s join projects p on p.id = s.project_id
      returning task_id, project_slug, context
    )
    select task_id as id, project_slug,
      context->>'previous_assignee' as previous_assignee,
      (context->>'claim_epoch')::integer as claim_epoch
    from audited
    order by task_id`.execute(db);
  return rows;
}
