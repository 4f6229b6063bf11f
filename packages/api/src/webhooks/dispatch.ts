import { randomUUID } from 'node:crypto';
import { WEBHOOK_EVENT_OF, WEBHOOK_PING_EVENT, type WebhookMessage } from '@taskflow/contracts';
import {
  type AuditRow,
  type DB,
  type Kysely,
  sql,
  sqlState,
  type WebhookOutboxRow,
  type WebhookSubscriptionRow,
} from '@taskflow/db';
import { selectTasks } from '../services/access';
import { toAuditEntry } from '../services/audit';
import { toTask } from '../services/rows';
import { resolveWebhookTarget, WebhookTargetRefused } from './network-guard';
import { type PostOutcome, postWebhook } from './post';
import { retryDelayMs, type WebhookSettings } from './settings';
import { messageIdOf, signatureHeader } from './signing';

/**
 * How long a claim holds a message before another process may take it: the POST's
 * timeout twice over plus a margin for recording the outcome. Only a process that died
 * (or stalled) mid-delivery lets a lease run out.
 */
function leaseMsOf(settings: WebhookSettings): number {
  return settings.timeoutMs * 2 + 5_000;
}

export interface DispatchReport {
  delivered: number;
  failed: number;
}

/**
 * Takes up to `batchSize` due messages, moving each one's next_attempt_at to the end
 * of a lease: no row lock outlives this statement, another process skips them until
 * the lease ends, and a process that dies holding them only delays them.
 */
async function claimDue(
  db: Kysely<DB>,
  settings: WebhookSettings,
): Promise<{ token: string; rows: WebhookOutboxRow[] }> {
  const token = randomUUID();
  const leaseMs = leaseMsOf(settings);
  const { rows } = await sql<WebhookOutboxRow>`
    with due as (
      select id from webhook_outbox
      where status in ('pending', 'failed') and next_attempt_at <= now()
      order by next_attempt_at, id
      limit ${settings.batchSize}
      for update skip locked
    )
    update webhook_outbox o
    set lease_token = ${token}, attempts = o.attempts + 1,
        next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
    from due where o.id = due.id
    returning o.*`.execute(db);
  return { token, rows };
}

function eventTypeOf(audit: AuditRow): string {
  if (audit.action === 'webhook_tested') return WEBHOOK_PING_EVENT;
  return WEBHOOK_EVENT_OF[audit.action] ?? `audit.${audit.action}`;
}

/**
 * The message body: the audit event and the task as it stands now, if it is still in
 * the subscription's project (a task moved elsewhere since is not this project's to show).
 */
async function messageOf(
  db: Kysely<DB>,
  audit: AuditRow,
  projectSlug: string,
): Promise<WebhookMessage> {
  const task =
    audit.task_id === null
      ? undefined
      : await selectTasks(db)
          .where('tasks.id', '=', audit.task_id)
          .where('projects.slug', '=', projectSlug)
          .executeTakeFirst();
  return {
    type: eventTypeOf(audit),
    timestamp: audit.created_at.toISOString(),
    data: { event: toAuditEntry(audit), task: task ? toTask(task) : null },
  };
}

/** The secrets that sign now: the current one, and during a rotation the previous one. */
function signingSecrets(sub: WebhookSubscriptionRow, now: Date): string[] {
  const previous =
    sub.previous_secret && sub.previous_secret_expires_at && sub.previous_secret_expires_at > now
      ? [sub.previous_secret]
      : [];
  return [sub.secret, ...previous];
}

/** `promise`, or a rejection with `message` once `ms` have passed (a DNS lookup has no timeout of its own). */
function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WebhookTargetRefused(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function attempt(
  db: Kysely<DB>,
  settings: WebhookSettings,
  sub: WebhookSubscriptionRow,
  audit: AuditRow,
  messageId: string,
  signal: AbortSignal | undefined,
): Promise<PostOutcome> {
  const url = new URL(sub.url);
  let addresses: Awaited<ReturnType<typeof resolveWebhookTarget>>;
  const resolving = performance.now();
  try {
    addresses = await withTimeout(
      resolveWebhookTarget(url, settings.allowPrivateNetworks),
      settings.timeoutMs,
      `resolving ${url.hostname} timed out after ${settings.timeoutMs} ms`,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      statusCode: null,
      error: message,
      durationMs: Math.round(performance.now() - resolving),
    };
  }
  const body = JSON.stringify(await messageOf(db, audit, sub.project_slug));
  const now = new Date();
  const timestamp = Math.floor(now.getTime() / 1000);
  return postWebhook({
    url,
    addresses,
    body,
    headers: {
      'webhook-id': messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(signingSecrets(sub, now), messageId, timestamp, body),
    },
    timeoutMs: settings.timeoutMs,
    maxResponseBytes: settings.maxResponseBytes,
    signal,
  });
}

/** Logs the attempt and moves the message and its endpoint on, if this claim still holds it. */
async function settle(
  db: Kysely<DB>,
  settings: WebhookSettings,
  row: WebhookOutboxRow,
  token: string,
  sub: WebhookSubscriptionRow,
  messageId: string,
  outcome: PostOutcome,
): Promise<void> {
  const ok = outcome.error === null;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_deliveries')
      .values({
        outbox_id: row.id,
        subscription_id: sub.id,
        audit_id: row.audit_id,
        message_id: messageId,
        attempt: row.attempts,
        status_code: outcome.statusCode,
        duration_ms: outcome.durationMs,
        error: outcome.error?.slice(0, 2000) ?? null,
      })
      .execute();
    if (ok) {
      await trx
        .updateTable('webhook_outbox')
        .set({ status: 'delivered', delivered_at: sql`now()`, lease_token: null, last_error: null })
        .where('id', '=', row.id)
        .where('lease_token', '=', token)
        .execute();
      await trx
        .updateTable('webhook_subscriptions')
        .set({ consecutive_failures: 0, failing_since: null })
        .where('id', '=', sub.id)
        .where('consecutive_failures', '>', 0)
        .execute();
      return;
    }
    const delayMs = retryDelayMs(settings, row.attempts);
    const giveUp = row.created_at.getTime() + settings.maxAgeMs < Date.now() + delayMs;
    await trx
      .updateTable('webhook_outbox')
      .set({
        status: giveUp ? 'dead' : 'failed',
        next_attempt_at: sql`now() + make_interval(secs => ${delayMs / 1000})`,
        lease_token: null,
        last_error: outcome.error,
      })
      .where('id', '=', row.id)
      .where('lease_token', '=', token)
      .execute();
    const failing = await trx
      .updateTable('webhook_subscriptions')
      .set((eb) => ({
        consecutive_failures: eb('consecutive_failures', '+', 1),
        failing_since: sql`coalesce(failing_since, now())`,
      }))
      .where('id', '=', sub.id)
      .where('enabled', '=', true)
      .returning(['consecutive_failures', 'failing_since'])
      .executeTakeFirst();
    if (
      failing?.failing_since &&
      failing.consecutive_failures >= settings.disableAfterFailures &&
      Date.now() - failing.failing_since.getTime() >= settings.disableAfterMs
    ) {
      await disableFailingEndpoint(
        trx,
        sub.id,
        failing.consecutive_failures,
        failing.failing_since,
        outcome.error,
      );
    }
  });
}

/** Turns a failing endpoint off, says why, and gives up on what it still had queued. */
async function disableFailingEndpoint(
  trx: Kysely<DB>,
  subscriptionId: number,
  failures: number,
  since: Date,
  lastError: string | null,
): Promise<void> {
  const reason = `Disabled after ${failures} failed deliveries in a row since ${since.toISOString()}; last error: ${lastError ?? 'unknown'}`;
  await trx
    .updateTable('webhook_subscriptions')
    .set({
      enabled: false,
      disabled_at: sql`now()`,
      disabled_reason: reason.slice(0, 2000),
      updated_at: sql`now()`,
    })
    .where('id', '=', subscriptionId)
    .execute();
  await trx
    .updateTable('webhook_outbox')
    .set({ status: 'dead', last_error: 'endpoint disabled', lease_token: null })
    .where('subscription_id', '=', subscriptionId)
    .where('status', 'in', ['pending', 'failed'])
    .execute();
}

const FOREIGN_KEY_VIOLATION = '23503';

/**
 * One round: claim due messages, POST them concurrently, record each outcome. `signal`
 * aborts the POSTs in flight (a stopping process): they are recorded as failed attempts
 * and retried, rather than holding up the shutdown.
 */
export async function dispatchDueWebhooks(
  db: Kysely<DB>,
  settings: WebhookSettings,
  signal?: AbortSignal,
): Promise<DispatchReport & { claimed: number }> {
  const { token, rows } = await claimDue(db, settings);
  if (rows.length === 0) return { claimed: 0, delivered: 0, failed: 0 };
  const subs = await db
    .selectFrom('webhook_subscriptions')
    .selectAll()
    .where('id', 'in', [...new Set(rows.map((r) => r.subscription_id))])
    .execute();
  const audits = await db
    .selectFrom('audit_log')
    .selectAll()
    .where('id', 'in', [...new Set(rows.map((r) => r.audit_id))])
    .execute();
  const report = { claimed: rows.length, delivered: 0, failed: 0 };
  await Promise.all(
    rows.map(async (row) => {
      const sub = subs.find((s) => s.id === row.subscription_id);
      const audit = audits.find((a) => a.id === row.audit_id);
      if (!sub || !audit) return; // deleted since (the outbox row went with it)
      if (!sub.enabled) {
        await db
          .updateTable('webhook_outbox')
          .set({ status: 'dead', last_error: 'endpoint disabled', lease_token: null })
          .where('id', '=', row.id)
          .where('lease_token', '=', token)
          .execute();
        return;
      }
      const messageId = messageIdOf(row.audit_id, row.subscription_id);
      const outcome = await attempt(db, settings, sub, audit, messageId, signal);
      try {
        await settle(db, settings, row, token, sub, messageId, outcome);
      } catch (error) {
        // Deleted while this message was in flight: its outbox row and log went with it.
        if (sqlState(error) === FOREIGN_KEY_VIOLATION) return;
        throw error;
      }
      if (outcome.error === null) report.delivered++;
      else report.failed++;
    }),
  );
  return report;
}

/**
 * Gives up on messages older than WEBHOOK_MAX_AGE that no attempt settled (a message
 * whose every attempt took its process down never reaches settle's own check), then
 * deletes settled messages (delivered or dead) older than the retention, their delivery
 * log with them, at most `limit` at a time; resolves with how many were deleted.
 */
export async function pruneWebhookLog(
  db: Kysely<DB>,
  settings: WebhookSettings,
  limit = 1_000,
): Promise<number> {
  await sql`
    update webhook_outbox
    set status = 'dead', lease_token = null,
        last_error = coalesce(last_error || '; ', '') || 'not delivered within the retry window'
    where id in (
      select id from webhook_outbox
      where status in ('pending', 'failed') and next_attempt_at <= now()
        and created_at < now() - make_interval(secs => ${settings.maxAgeMs / 1000})
      limit ${limit}
      for update skip locked
    )`.execute(db);
  const { rows } = await sql<{ id: number }>`
    delete from webhook_outbox where id in (
      select id from webhook_outbox
      where status in ('delivered', 'dead')
        and created_at < now() - make_interval(secs => ${settings.logRetentionMs / 1000})
      limit ${limit}
      for update skip locked
    ) returning id`.execute(db);
  return rows.length;
}
