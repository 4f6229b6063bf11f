import type {
  Page,
  Webhook,
  WebhookCreateInput,
  WebhookDeliveriesInput,
  WebhookDelivery,
  WebhookIdInput,
  WebhookListInput,
  WebhookUpdateInput,
  WebhookWithSecret,
} from '@taskflow/contracts';
import {
  type DB,
  type Kysely,
  sql,
  type Transaction,
  type WebhookDeliveryRow,
  type WebhookSubscriptionRow,
} from '@taskflow/db';
import type { z } from 'zod';
import { forbidden, notFound, unprocessable } from '../errors';
import { resolveWebhookTarget, WebhookTargetRefused } from '../webhooks/network-guard';
import type { WebhookSettings } from '../webhooks/settings';
import { messageIdOf, newWebhookSecret } from '../webhooks/signing';
import { type ProjectAccess, requireVisibleProject } from './access';
import type { Actor } from './actor';
import { decodeCursor, encodeCursor, pageOf } from './cursor';
import { pageRange } from './page-range';
import { record } from './record';
import { iso, isoOrNull } from './rows';

function toWebhook(row: WebhookSubscriptionRow): Webhook {
  return {
    id: row.id,
    project_slug: row.project_slug,
    url: row.url,
    events: row.events,
    enabled: row.enabled,
    disabled_at: isoOrNull(row.disabled_at),
    disabled_reason: row.disabled_reason,
    consecutive_failures: row.consecutive_failures,
    previous_secret_expires_at: isoOrNull(row.previous_secret_expires_at),
    created_by: row.created_by,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

function toDelivery(row: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    message_id: row.message_id,
    audit_id: row.audit_id,
    attempt: row.attempt,
    status_code: row.status_code,
    duration_ms: row.duration_ms,
    error: row.error,
    created_at: iso(row.created_at),
  };
}

/**
 * Webhooks are a project's integration settings, and their secrets sign its events:
 * only its owners and admins manage or read them. A member gets 403; anyone who cannot
 * see the project gets 404, as everywhere.
 */
async function requireWebhookManager(
  db: Kysely<DB>,
  actor: Actor,
  slug: string,
): Promise<ProjectAccess> {
  const access = await requireVisibleProject(db, actor, slug);
  if (access.role !== 'owner' && !actor.is_admin)
    throw forbidden(`Only an owner of project '${slug}' or an admin can manage its webhooks`);
  return access;
}

/** 422 with the reason when the URL may not be called from here. */
async function checkTarget(url: string, settings: WebhookSettings): Promise<void> {
  try {
    await resolveWebhookTarget(new URL(url), settings.allowPrivateNetworks);
  } catch (error) {
    if (error instanceof WebhookTargetRefused) throw unprocessable(error.message);
    throw error;
  }
}

async function requireSubscription(
  db: Kysely<DB>,
  slug: string,
  id: number,
  lock = false,
): Promise<WebhookSubscriptionRow> {
  let query = db
    .selectFrom('webhook_subscriptions')
    .selectAll()
    .where('id', '=', id)
    .where('project_slug', '=', slug);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound(`Webhook ${id} of project '${slug}'`);
  return row;
}

export async function createWebhook(
  trx: Transaction<DB>,
  actor: Actor,
  settings: WebhookSettings,
  input: z.output<typeof WebhookCreateInput>,
): Promise<WebhookWithSecret> {
  await requireWebhookManager(trx, actor, input.project_slug);
  await checkTarget(input.url, settings);
  const secret = newWebhookSecret();
  const row = await trx
    .insertInto('webhook_subscriptions')
    .values({
      project_slug: input.project_slug,
      url: input.url,
      events: input.events ?? null,
      secret,
      created_by: actor.id,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await record(
    trx,
    actor,
    'webhook_created',
    { webhook_id: row.id, url: row.url, events: row.events },
    { project_slug: row.project_slug },
  );
  return { ...toWebhook(row), secret };
}

export async function listWebhooks(
  db: Kysely<DB>,
  actor: Actor,
  input: z.output<typeof WebhookListInput>,
): Promise<Page<Webhook>> {
  await requireWebhookManager(db, actor, input.project_slug);
  const filters = { project_slug: input.project_slug };
  const after =
    input.cursor == null
      ? undefined
      : decodeCursor('webhooks', filters, input.cursor, { id: 'int', value: 'none' });
  let query = db
    .selectFrom('webhook_subscriptions')
    .selectAll()
    .where('project_slug', '=', input.project_slug);
  if (after) query = query.where('id', '>', Number(after.i));
  const rows = await query
    .orderBy('id')
    .$call(pageRange(input.limit + 1))
    .execute();
  return pageOf(rows, input.limit, toWebhook, (row) =>
    encodeCursor('webhooks', filters, { v: null, i: row.id }),
  );
}

export async function getWebhook(
  db: Kysely<DB>,
  actor: Actor,
  input: z.output<typeof WebhookIdInput>,
): Promise<Webhook> {
  await requireWebhookManager(db, actor, input.project_slug);
  return toWebhook(await requireSubscription(db, input.project_slug, input.id));
}

export async function updateWebhook(
  trx: Transaction<DB>,
  actor: Actor,
  settings: WebhookSettings,
  input: z.output<typeof WebhookUpdateInput>,
): Promise<Webhook> {
  await requireWebhookManager(trx, actor, input.project_slug);
  const current = await requireSubscription(trx, input.project_slug, input.id, true);
  if (input.url !== undefined) await checkTarget(input.url, settings);
  const enabling = input.enabled === true && !current.enabled;
  const disabling = input.enabled === false && current.enabled;
  const row = await trx
    .updateTable('webhook_subscriptions')
    .set({
      ...(input.url !== undefined && { url: input.url }),
      ...(input.events !== undefined && { events: input.events }),
      // Re-enabling starts afresh: the failure count and the reason go.
      ...(enabling && {
        enabled: true,
        disabled_at: null,
        disabled_reason: null,
        consecutive_failures: 0,
        failing_since: null,
      }),
      ...(disabling && {
        enabled: false,
        disabled_at: sql<Date>`now()`,
        disabled_reason: `Disabled by ${actor.name} (${actor.id})`,
      }),
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (disabling) {
    await trx
      .updateTable('webhook_outbox')
      .set({ status: 'dead', last_error: 'endpoint disabled', lease_token: null })
      .where('subscription_id', '=', row.id)
      .where('status', 'in', ['pending', 'failed'])
      .execute();
  }
  await record(
    trx,
    actor,
    'webhook_updated',
    {
      webhook_id: row.id,
      ...(input.url !== undefined && { url: row.url }),
      ...(input.events !== undefined && { events: row.events }),
      ...(input.enabled !== undefined && { enabled: row.enabled }),
    },
    { project_slug: row.project_slug },
  );
  return toWebhook(row);
}

export async function deleteWebhook(
  trx: Transaction<DB>,
  actor: Actor,
  input: z.output<typeof WebhookIdInput>,
): Promise<{ project_slug: string; id: number; deleted: true }> {
  await requireWebhookManager(trx, actor, input.project_slug);
  const row = await requireSubscription(trx, input.project_slug, input.id, true);
  // Its queued messages and delivery log go with it (on delete cascade).
  await trx.deleteFrom('webhook_subscriptions').where('id', '=', row.id).execute();
  await record(
    trx,
    actor,
    'webhook_deleted',
    { webhook_id: row.id, url: row.url },
    { project_slug: row.project_slug },
  );
  return { project_slug: row.project_slug, id: row.id, deleted: true };
}

/**
 * A new secret, answered once. The one it replaces keeps signing beside it for the
 * grace period, so receivers can switch without missing a delivery; a rotation during
 * a rotation drops the oldest.
 */
export async function rotateWebhookSecret(
  trx: Transaction<DB>,
  actor: Actor,
  settings: WebhookSettings,
  input: z.output<typeof WebhookIdInput>,
): Promise<WebhookWithSecret> {
  await requireWebhookManager(trx, actor, input.project_slug);
  const current = await requireSubscription(trx, input.project_slug, input.id, true);
  const secret = newWebhookSecret();
  const row = await trx
    .updateTable('webhook_subscriptions')
    .set({
      secret,
      previous_secret: current.secret,
      previous_secret_expires_at: sql<Date>`now() + make_interval(secs => ${settings.secretGraceMs / 1000})`,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await record(
    trx,
    actor,
    'webhook_secret_rotated',
    { webhook_id: row.id, previous_valid_until: isoOrNull(row.previous_secret_expires_at) },
    { project_slug: row.project_slug },
  );
  return { ...toWebhook(row), secret };
}

/** Queues a ping for this one endpoint (type webhook.ping), delivered like any message. */
export async function testWebhook(
  trx: Transaction<DB>,
  actor: Actor,
  input: z.output<typeof WebhookIdInput>,
): Promise<{ project_slug: string; id: number; message_id: string; queued: true }> {
  await requireWebhookManager(trx, actor, input.project_slug);
  const row = await requireSubscription(trx, input.project_slug, input.id);
  if (!row.enabled)
    throw unprocessable(`Webhook ${row.id} is disabled: enable it before sending a test`);
  const audit = await record(
    trx,
    actor,
    'webhook_tested',
    { webhook_id: row.id },
    { project_slug: row.project_slug },
  );
  await trx
    .insertInto('webhook_outbox')
    .values({ audit_id: audit.id, subscription_id: row.id })
    .execute();
  return {
    project_slug: row.project_slug,
    id: row.id,
    message_id: messageIdOf(audit.id, row.id),
    queued: true,
  };
}

/** The endpoint's delivery log, newest first. */
export async function listWebhookDeliveries(
  db: Kysely<DB>,
  actor: Actor,
  input: z.output<typeof WebhookDeliveriesInput>,
): Promise<Page<WebhookDelivery>> {
  await requireWebhookManager(db, actor, input.project_slug);
  const sub = await requireSubscription(db, input.project_slug, input.id);
  const filters = { project_slug: input.project_slug, id: input.id };
  const after =
    input.cursor == null
      ? undefined
      : decodeCursor('webhook_deliveries', filters, input.cursor, { id: 'bigint', value: 'none' });
  let query = db.selectFrom('webhook_deliveries').selectAll().where('subscription_id', '=', sub.id);
  if (after) query = query.where('id', '<', Number(after.i));
  const rows = await query
    .orderBy('id', 'desc')
    .$call(pageRange(input.limit + 1))
    .execute();
  return pageOf(rows, input.limit, toDelivery, (row) =>
    encodeCursor('webhook_deliveries', filters, { v: null, i: row.id }),
  );
}
