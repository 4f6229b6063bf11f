import type { AuditAction } from '@taskflow/contracts';
import { type AuditContext, type DB, type Transaction, writeAudit } from '@taskflow/db';
import type { Actor } from './actor';

// Rows written per transaction, read once it commits: a rolled-back row is never counted.
const written = new WeakMap<Transaction<DB>, number>();

/** How many audit rows `trx` wrote (they exist once it commits). */
export function auditRowsWritten(trx: Transaction<DB>): number {
  return written.get(trx) ?? 0;
}

/** Records a change the actor made, in the mutation's transaction. */
export function record(
  trx: Transaction<DB>,
  actor: Actor,
  action: AuditAction,
  context: AuditContext,
  where: { task_id?: number; project_slug?: string } = {},
) {
  written.set(trx, auditRowsWritten(trx) + 1);
  return writeAudit(trx, {
    task_id: where.task_id ?? null,
    project_slug: where.project_slug ?? null,
    actor_id: actor.id,
    actor_type: actor.type,
    action,
    context,
    client: actor.client ?? null,
  });
}

/** Records a change to one task. */
export function recordTask(
  trx: Transaction<DB>,
  actor: Actor,
  task: { id: number; project_slug: string },
  action: AuditAction,
  context: AuditContext,
) {
  return record(trx, actor, action, context, { task_id: task.id, project_slug: task.project_slug });
}
