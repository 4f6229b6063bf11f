import type { AuditAction, AuditActorType } from '@taskflow/contracts';
import type { Transaction } from 'kysely';
import type { AuditContext, AuditRow, DB } from './schema';

export interface AuditEntry {
  task_id?: number | null;
  project_slug?: string | null;
  actor_id: string;
  actor_type: AuditActorType;
  action: AuditAction;
  context?: AuditContext;
  client?: string | null;
}

/**
 * Records one change inside the caller's transaction. It takes a
 * `Transaction` (the bare database does not compile) and never commits, rolls
 * back or opens a transaction: the change and its record commit together or
 * not at all, and a failure here fails the change.
 */
export async function writeAudit(trx: Transaction<DB>, entry: AuditEntry): Promise<AuditRow> {
  return trx
    .insertInto('audit_log')
    .values({
      task_id: entry.task_id ?? null,
      project_slug: entry.project_slug ?? null,
      actor_id: entry.actor_id,
      actor_type: entry.actor_type,
      action: entry.action,
      context: JSON.stringify(entry.context ?? {}),
      client: entry.client ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
