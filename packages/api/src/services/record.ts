import { type AuditAction, WEBHOOK_EVENT_OF } from '@taskflow/contracts';
import {
  type AuditContext,
  type ChangeAudit,
  type DB,
  type Transaction,
  writeAudit,
} from '@taskflow/db';
import type { Actor } from './actor';

// Rows written per transaction, read once it commits: a rolled-back row is never counted.
const written = new WeakMap<Transaction<DB>, number>();

/** How many audit rows `trx` wrote (they exist once it commits). */
export function auditRowsWritten(trx: Transaction<DB>): number {
  return written.get(trx) ?? 0;
}

/** Counts a record written as part of a change's own statement (withAudit). */
export function countRecord(trx: Transaction<DB>): void {
  written.set(trx, auditRowsWritten(trx) + 1);
}

/** Records a change the actor made, in the mutation's transaction. */
export function record(
  trx: Transaction<DB>,
  actor: Actor,
  action: AuditAction,
  context: AuditContext,
  where: { task_id?: number; project_slug?: string } = {},
) {
  countRecord(trx);
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

/** withAudit's values for a change the actor makes, as preparedQuery arguments. */
export type ChangeAuditArgs = [
  actor_id: string,
  actor_type: string,
  action: AuditAction,
  context: string,
  client: string | null,
  event_type: string | null,
];

/** ChangeAuditArgs' length, for splitting them off a longer argument list. */
export const CHANGE_AUDIT_ARGS = 6;

export function changeAuditArgs(
  actor: Actor,
  action: AuditAction,
  context: AuditContext,
): ChangeAuditArgs {
  return [
    actor.id,
    actor.type,
    action,
    JSON.stringify(context),
    actor.client ?? null,
    WEBHOOK_EVENT_OF[action],
  ];
}

export function changeAudit(
  projectSlug: unknown,
  ...[actor_id, actor_type, action, context, client, event_type]: ChangeAuditArgs
): ChangeAudit {
  return { project_slug: projectSlug, actor_id, actor_type, action, context, client, event_type };
}
