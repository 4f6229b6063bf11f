import { type AuditAction, type AuditActorType, WEBHOOK_EVENT_OF } from '@taskflow/contracts';
import { sql, type Transaction } from 'kysely';
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
 *
 * The same statement queues the change for the project's webhooks: one outbox
 * row per enabled subscription whose event filter takes this event type. It is
 * one round trip, and with no subscription it costs an empty probe of a partial
 * index; the outbox rows commit (or vanish) with the change.
 */
export async function writeAudit(trx: Transaction<DB>, entry: AuditEntry): Promise<AuditRow> {
  const values = {
    task_id: entry.task_id ?? null,
    project_slug: entry.project_slug ?? null,
    actor_id: entry.actor_id,
    actor_type: entry.actor_type,
    action: entry.action,
    context: JSON.stringify(entry.context ?? {}),
    client: entry.client ?? null,
  };
  const eventType = WEBHOOK_EVENT_OF[entry.action];
  if (!eventType || !values.project_slug) {
    return trx.insertInto('audit_log').values(values).returningAll().executeTakeFirstOrThrow();
  }
  const row = await trx
    .with('audited', (db) => db.insertInto('audit_log').values(values).returningAll())
    .with('queued', (db) =>
      db
        .insertInto('webhook_outbox')
        .columns(['audit_id', 'subscription_id'])
        .expression((eb) =>
          eb
            .selectFrom('audited')
            .innerJoin('webhook_subscriptions as s', 's.project_slug', 'audited.project_slug')
            .select(['audited.id', 's.id'])
            .where('s.enabled', '=', true)
            .where((w) =>
              w.or([w('s.events', 'is', null), sql<boolean>`${eventType} = any(s.events)`]),
            ),
        )
        .returning('webhook_outbox.id'),
    )
    .selectFrom('audited')
    .selectAll()
    .executeTakeFirstOrThrow();
  return row as AuditRow;
}
