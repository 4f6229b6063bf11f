import { type AuditAction, type AuditActorType, WEBHOOK_EVENT_OF } from '@taskflow/contracts';
import {
  type Compilable,
  type OperationNodeSource,
  type RawBuilder,
  sql,
  type Transaction,
} from 'kysely';
import { preparedQuery } from './prepared-query';
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

type AuditValues = [
  task_id: number | null,
  project_slug: string | null,
  actor_id: string,
  actor_type: AuditActorType,
  action: AuditAction,
  context: string,
  client: string | null,
];

const auditValues = (
  ...[task_id, project_slug, actor_id, actor_type, action, context, client]: AuditValues
) => ({
  task_id,
  project_slug,
  actor_id,
  actor_type,
  action,
  context,
  client,
});

/** The record alone: for actions no webhook hears, and changes outside a project. */
const insertAudit = preparedQuery((db, ...values: AuditValues) =>
  db
    .insertInto('audit_log')
    .values(auditValues(...values))
    .returningAll(),
);

/** The record and, in the same statement, its outbox rows. */
const insertAuditAndQueue = preparedQuery((db, eventType: string, ...values: AuditValues) =>
  db
    .with('audited', (db) =>
      db
        .insertInto('audit_log')
        .values(auditValues(...values))
        .returningAll(),
    )
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
    .selectAll(),
);

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
  const values: AuditValues = [
    entry.task_id ?? null,
    entry.project_slug ?? null,
    entry.actor_id,
    entry.actor_type,
    entry.action,
    JSON.stringify(entry.context ?? {}),
    entry.client ?? null,
  ];
  const eventType = WEBHOOK_EVENT_OF[entry.action];
  const [row] =
    eventType && values[1]
      ? await insertAuditAndQueue(trx, eventType, ...values)
      : await insertAudit(trx, ...values);
  if (!row) throw new Error('audit_log insert returned no row');
  return row as AuditRow;
}

/** An audit record whose task is the row a change returns: everything but the task id. */
export interface ChangeAudit {
  /** The project's slug: a value, or an expression over `changed` (its RETURNING). */
  project_slug: unknown;
  actor_id: unknown;
  actor_type: unknown;
  action: unknown;
  /** JSON text. */
  context: unknown;
  client: unknown;
  /** The webhook event the action is (WEBHOOK_EVENT_OF), or null. */
  event_type: unknown;
}

/**
 * A change to one task and its record in one statement: `change` is an INSERT or
 * UPDATE of `tasks` ... RETURNING, named `changed`; the audit row (and, as in writeAudit,
 * one outbox row per enabled subscription whose filter takes the event) is written for
 * the row it returns, and nothing when it returns none. The statement answers with the
 * change's rows. A round trip fewer than writeAudit after the change; the values may be
 * preparedQuery's stand-ins. The caller counts the record (it exists once a row came back).
 */
export function withAudit<Row>(
  change: Compilable<Row> & OperationNodeSource,
  audit: ChangeAudit,
): RawBuilder<Row> {
  return sql<Row>`with changed as (${change}),
audited as (
  insert into audit_log (task_id, project_slug, actor_id, actor_type, action, context, client)
  select changed.id, ${audit.project_slug}::text, ${audit.actor_id}::text, ${audit.actor_type}::text,
    ${audit.action}::text, ${audit.context}::jsonb, ${audit.client}::text
  from changed
  returning id, project_slug
),
queued as (
  insert into webhook_outbox (audit_id, subscription_id)
  select audited.id, s.id
  from audited join webhook_subscriptions s on s.project_slug = audited.project_slug
  where ${audit.event_type}::text is not null and s.enabled
    and (s.events is null or ${audit.event_type}::text = any(s.events))
  returning webhook_outbox.id
)
select * from changed`;
}
