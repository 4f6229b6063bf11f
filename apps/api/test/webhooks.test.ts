import type { ChangeEvent } from '@taskflow/contracts';
import { sql, writeAudit } from '@taskflow/db';
import {
  dispatchDueWebhooks,
  postWebhook,
  pruneWebhookLog,
  retryDelayMs,
  WEBHOOK_DEFAULTS,
} from '@taskflow/router';
import { createLogger } from '@taskflow/service';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookDispatcher } from '../src/webhook-dispatcher';
import { type Client, failure, type Harness, startHarness } from './helpers/harness';
import { restClient } from './helpers/rest';
import { type ReceivedWebhook, WebhookReceiver } from './helpers/webhook-receiver';

/** standardwebhooks (the spec's own library) accepts the request as signed with `secret`. */
function verifies(secret: string, got: ReceivedWebhook): boolean {
  try {
    new Webhook(secret).verify(got.body, {
      'webhook-id': got.id,
      'webhook-timestamp': got.timestamp,
      'webhook-signature': got.signature,
    });
    return true;
  } catch {
    return false;
  }
}

describe('signed webhooks, delivered from the outbox to a real endpoint', () => {
  let h: Harness;
  let receiver: WebhookReceiver;
  let olga: Client;
  let pete: Client;
  let stranger: Client;
  let admin: Client;
  /** A strict API (the default: no private networks) on the same database, delivering nothing. */
  let strict: Client;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    h = await startHarness({
      // The receiver is on loopback; retries come fast and three failures in a row disable.
      webhooks: {
        allowPrivateNetworks: true,
        retryBaseMs: 300,
        timeoutMs: 3_000,
        disableAfterFailures: 3,
        disableAfterMs: 0,
      },
      webhookPollIntervalMs: 100,
    });
    olga = await h.as('olga', { name: 'Olga' });
    pete = await h.as('pete', { name: 'Pete' });
    stranger = await h.as('stan', { name: 'Stan' });
    admin = await h.as('root', { admin: true });
    await pete.workers.me.query();
    await olga.projects.create.mutate({ slug: 'hooks', name: 'Hooks' });
    await olga.projects.addMember.mutate({ slug: 'hooks', worker_id: 'pete' });
    const other = await h.startApp({ webhooks: {}, webhookPollIntervalMs: 0 });
    const { makeClient } = await import('./helpers/harness');
    strict = makeClient(other.baseUrl, await h.issuer.token('olga', { name: 'Olga' }));
  });
  afterAll(async () => {
    await h.stop();
    await receiver.stop();
  });

  it('creates a subscription answering its secret once, and signs each message per Standard Webhooks', async () => {
    const created = await olga.webhooks.create.mutate({
      project_slug: 'hooks',
      url: `${receiver.url}/all`,
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created).toMatchObject({ project_slug: 'hooks', enabled: true, events: null });
    const listed = await olga.webhooks.list.query({ project_slug: 'hooks' });
    expect(listed.items.map((w) => w.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    expect(
      JSON.stringify(await olga.webhooks.get.query({ project_slug: 'hooks', id: created.id })),
    ).not.toContain('whsec_');

    const task = await olga.tasks.create.mutate({ project_slug: 'hooks', title: 'Ship it' });
    await olga.tasks.start.mutate({ id: task.id });
    await receiver.waitFor(() => receiver.at('/all').length >= 2);
    const [first, second] = receiver.at('/all');
    for (const got of [first, second]) {
      if (!got) throw new Error('missing');
      expect(verifies(created.secret, got)).toBe(true);
      expect(verifies(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, got)).toBe(false);
      expect(got.headers['content-type']).toBe('application/json');
      expect(got.id).toBe(`msg_${got.message.data.event.id}_${created.id}`);
    }
    expect(first?.message).toMatchObject({
      type: 'task.created',
      data: {
        event: { action: 'created', task_id: task.id, project_slug: 'hooks', actor_id: 'olga' },
      },
    });
    expect(second?.message.type).toBe('task.started');
    // The task as it stands when delivered.
    expect(second?.message.data.task).toMatchObject({ id: task.id, title: 'Ship it' });
    // A tampered body no longer verifies.
    if (first)
      expect(verifies(created.secret, { ...first, body: first.body.replace('Ship', 'Skip') })).toBe(
        false,
      );
  });

  it('retries a failing endpoint with the same webhook-id until it answers 2xx, and logs every attempt', async () => {
    const sub = await olga.webhooks.create.mutate({
      project_slug: 'hooks',
      url: `${receiver.url}/flaky`,
      events: ['task.completed'],
    });
    receiver.answer = (got, attempts) => (got.path === '/flaky' && attempts <= 2 ? 500 : 200);
    const task = await olga.tasks.create.mutate({ project_slug: 'hooks', title: 'Flaky' });
    await olga.tasks.start.mutate({ id: task.id });
    await olga.tasks.complete.mutate({ id: task.id });
    await receiver.waitFor(() => receiver.at('/flaky').length >= 3);
    const attempts = receiver.at('/flaky');
    // Only task.completed: the filter kept task.created and task.started away.
    expect(attempts.map((a) => a.message.type)).toEqual([
      'task.completed',
      'task.completed',
      'task.completed',
    ]);
    expect(new Set(attempts.map((a) => a.id)).size).toBe(1);
    for (const got of attempts) expect(verifies(sub.secret, got)).toBe(true);

    // The log shows the three attempts, newest first, once the last one is recorded.
    let log = await olga.webhooks.deliveries.query({ project_slug: 'hooks', id: sub.id });
    for (let i = 0; i < 50 && log.items.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      log = await olga.webhooks.deliveries.query({ project_slug: 'hooks', id: sub.id });
    }
    expect(log.items.map((d) => [d.attempt, d.status_code])).toEqual([
      [3, 200],
      [2, 500],
      [1, 500],
    ]);
    expect(log.items[1]?.error).toMatch(/HTTP 500/);
    // Paged like every list.
    const page1 = await olga.webhooks.deliveries.query({
      project_slug: 'hooks',
      id: sub.id,
      limit: 2,
    });
    expect(page1.items).toHaveLength(2);
    const page2 = await olga.webhooks.deliveries.query({
      project_slug: 'hooks',
      id: sub.id,
      limit: 2,
      cursor: page1.next_cursor,
    });
    expect(page2.items.map((d) => d.attempt)).toEqual([1]);
    expect(page2.next_cursor).toBeNull();
    // Success resets the endpoint's failure count.
    expect(
      (await olga.webhooks.get.query({ project_slug: 'hooks', id: sub.id })).consecutive_failures,
    ).toBe(0);
    receiver.answer = () => 200;
  });

  it('signs with both secrets during a rotation, each verifying on its own', async () => {
    const sub = await olga.webhooks.create.mutate({
      project_slug: 'hooks',
      url: `${receiver.url}/rotated`,
      events: ['task.created'],
    });
    const rotated = await olga.webhooks.rotateSecret.mutate({ project_slug: 'hooks', id: sub.id });
    expect(rotated.secret).not.toBe(sub.secret);
    expect(rotated.previous_secret_expires_at).not.toBeNull();
    await olga.tasks.create.mutate({ project_slug: 'hooks', title: 'Rotated' });
    await receiver.waitFor(() => receiver.at('/rotated').length >= 1);
    const got = receiver.at('/rotated')[0] as ReceivedWebhook;
    expect(got.signature.split(' ')).toHaveLength(2);
    expect(verifies(rotated.secret, got)).toBe(true);
    expect(verifies(sub.secret, got)).toBe(true);
  });

  it('disables an endpoint that keeps failing, says why, and re-enabling clears it', async () => {
    const sub = await olga.webhooks.create.mutate({
      project_slug: 'hooks',
      url: `${receiver.url}/down`,
      events: ['task.created'],
    });
    receiver.answer = (got) => (got.path === '/down' ? 503 : 200);
    await olga.tasks.create.mutate({ project_slug: 'hooks', title: 'Into the void' });
    let state = await olga.webhooks.get.query({ project_slug: 'hooks', id: sub.id });
    for (let i = 0; i < 100 && state.enabled; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await olga.webhooks.get.query({ project_slug: 'hooks', id: sub.id });
    }
    expect(state.enabled).toBe(false);
    expect(state.disabled_reason).toMatch(
      /^Disabled after 3 failed deliveries in a row since .*HTTP 503/,
    );
    expect(receiver.at('/down')).toHaveLength(3);
    // Over REST too, as its owner reads it.
    const rest = await restClient(h.baseUrl)<{ disabled_reason: string }>(
      'GET',
      `/api/projects/hooks/webhooks/${sub.id}`,
      { token: await h.issuer.token('olga', { name: 'Olga' }) },
    );
    expect(rest.status).toBe(200);
    expect(rest.body.disabled_reason).toBe(state.disabled_reason);
    // Disabled: new changes are not queued for it.
    await olga.tasks.create.mutate({ project_slug: 'hooks', title: 'Not sent' });
    receiver.answer = () => 200;
    const again = await olga.webhooks.update.mutate({
      project_slug: 'hooks',
      id: sub.id,
      enabled: true,
    });
    expect(again).toMatchObject({ enabled: true, disabled_reason: null, consecutive_failures: 0 });
    await olga.tasks.create.mutate({ project_slug: 'hooks', title: 'Back' });
    await receiver.waitFor(() =>
      receiver.at('/down').some((r) => r.message.data.task?.title === 'Back'),
    );
    expect(receiver.at('/down').some((r) => r.message.data.task?.title === 'Not sent')).toBe(false);
  });

  it('announces no change that rolled back', async () => {
    const sub = await olga.webhooks.create.mutate({
      project_slug: 'hooks',
      url: `${receiver.url}/rollback`,
    });
    // The same writeAudit every mutation uses, in a transaction that then fails.
    const rolledBack = await h.database.db
      .transaction()
      .execute(async (trx) => {
        const row = await writeAudit(trx, {
          project_slug: 'hooks',
          actor_id: 'olga',
          actor_type: 'human',
          action: 'project_updated',
          context: { name: 'never' },
        });
        const queued = await trx
          .selectFrom('webhook_outbox')
          .selectAll()
          .where('audit_id', '=', row.id)
          .execute();
        expect(queued.map((q) => q.subscription_id)).toContain(sub.id);
        throw Object.assign(new Error('roll back'), { auditId: row.id });
      })
      .catch((error: { auditId: number }) => error.auditId);
    expect(
      await h.database.db
        .selectFrom('webhook_outbox')
        .selectAll()
        .where('audit_id', '=', rolledBack)
        .execute(),
    ).toEqual([]);
    // A refused mutation (403) leaves nothing queued either.
    expect(
      (await failure(pete.projects.update.mutate({ slug: 'hooks', name: 'Pete was here' })))
        .httpStatus,
    ).toBe(403);
    await olga.projects.update.mutate({ slug: 'hooks', name: 'Hooks!' });
    await receiver.waitFor(() => receiver.at('/rollback').length >= 1);
    const got = receiver.at('/rollback');
    expect(got.map((r) => r.message.type)).toEqual(['project.updated']);
    expect(got[0]?.message.data.event.context).toEqual({
      changes: { name: { from: 'Hooks', to: 'Hooks!' } },
    });
    expect(got.some((r) => r.message.data.event.id === rolledBack)).toBe(false);
  });

  it('sends a ping with webhooks.test', async () => {
    const sub = await olga.webhooks.create.mutate({
      project_slug: 'hooks',
      url: `${receiver.url}/ping`,
      events: ['task.blocked'],
    });
    const queued = await olga.webhooks.test.mutate({ project_slug: 'hooks', id: sub.id });
    await receiver.waitFor(() => receiver.at('/ping').length >= 1);
    const got = receiver.at('/ping')[0] as ReceivedWebhook;
    expect(got.id).toBe(queued.message_id);
    expect(got.message.type).toBe('webhook.ping');
    expect(verifies(sub.secret, got)).toBe(true);
  });

  it('lets only owners and admins manage webhooks: a member gets 403, a stranger 404', async () => {
    const sub = await olga.webhooks.create.mutate({
      project_slug: 'hooks',
      url: `${receiver.url}/acl`,
    });
    const asMember = await failure(pete.webhooks.list.query({ project_slug: 'hooks' }));
    expect(asMember).toMatchObject({ httpStatus: 403 });
    expect(asMember.message).toMatch(/owner .* or an admin/);
    expect(
      (
        await failure(
          pete.webhooks.create.mutate({ project_slug: 'hooks', url: `${receiver.url}/x` }),
        )
      ).httpStatus,
    ).toBe(403);
    expect(
      (await failure(pete.webhooks.rotateSecret.mutate({ project_slug: 'hooks', id: sub.id })))
        .httpStatus,
    ).toBe(403);
    expect(
      (await failure(pete.webhooks.deliveries.query({ project_slug: 'hooks', id: sub.id })))
        .httpStatus,
    ).toBe(403);
    expect(
      (await failure(stranger.webhooks.list.query({ project_slug: 'hooks' }))).httpStatus,
    ).toBe(404);
    expect(
      (await failure(stranger.webhooks.delete.mutate({ project_slug: 'hooks', id: sub.id })))
        .httpStatus,
    ).toBe(404);
    // An admin may; a webhook of another project is not found under this one.
    expect((await admin.webhooks.get.query({ project_slug: 'hooks', id: sub.id })).id).toBe(sub.id);
    await stranger.projects.create.mutate({ slug: 'stans', name: 'Stan' });
    expect(
      (await failure(stranger.webhooks.get.query({ project_slug: 'stans', id: sub.id })))
        .httpStatus,
    ).toBe(404);
    // Each change is audited.
    const deleted = await olga.webhooks.delete.mutate({ project_slug: 'hooks', id: sub.id });
    expect(deleted).toEqual({ project_slug: 'hooks', id: sub.id, deleted: true });
    const actions = await h.database.db
      .selectFrom('audit_log')
      .select('action')
      .where('project_slug', '=', 'hooks')
      .where(sql<boolean>`action like 'webhook\_%'`)
      .execute();
    expect(new Set(actions.map((a) => a.action))).toEqual(
      new Set([
        'webhook_created',
        'webhook_updated',
        'webhook_deleted',
        'webhook_secret_rotated',
        'webhook_tested',
      ]),
    );
  });

  it('shows project members the webhook changes in the feed, but never the URL (it may carry credentials)', async () => {
    const sub = await olga.webhooks.create.mutate({
      project_slug: 'hooks',
      url: `http://user:hunter2@${new URL(receiver.url).host}/creds?token=s3cret`,
      events: ['task.deleted'],
    });
    await olga.webhooks.update.mutate({ project_slug: 'hooks', id: sub.id, enabled: false });
    await olga.webhooks.delete.mutate({ project_slug: 'hooks', id: sub.id });
    // The audit log itself keeps the URL.
    const stored = await h.database.db
      .selectFrom('audit_log')
      .select(['action', 'context'])
      .where('action', 'in', ['webhook_created', 'webhook_updated', 'webhook_deleted'])
      .where(sql<boolean>`context->>'webhook_id' = ${String(sub.id)}`)
      .execute();
    expect(stored.some((r) => JSON.stringify(r.context).includes('hunter2'))).toBe(true);
    // A member, who may not read the webhook itself, reads its changes without it.
    let seen: ChangeEvent[] = [];
    for (let i = 0; i < 50 && seen.length < 2; i++) {
      const page = await pete.events.list.query({ project_slug: 'hooks', after: 0, limit: 500 });
      seen = page.items.filter((e) => e.context.webhook_id === sub.id);
      if (seen.length < 2) await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen.map((e) => e.action)).toEqual(
      expect.arrayContaining(['webhook_created', 'webhook_deleted']),
    );
    for (const event of seen) expect(JSON.stringify(event)).not.toMatch(/hunter2|s3cret/);
  });

  it('answers a REST create with 201 and refuses bad input with 400 or 422', async () => {
    const token = await h.issuer.token('olga', { name: 'Olga' });
    const rest = restClient(h.baseUrl);
    const made = await rest<{ id: number; secret: string }>(
      'POST',
      '/api/projects/hooks/webhooks',
      {
        token,
        body: { url: `${receiver.url}/rest`, events: ['task.created'] },
      },
    );
    expect(made.status).toBe(201);
    expect(made.body.secret).toMatch(/^whsec_/);
    const ftp = await rest('POST', '/api/projects/hooks/webhooks', {
      token,
      body: { url: 'ftp://example.com/x' },
    });
    expect(ftp.status).toBe(400);
    const badEvent = await rest('POST', '/api/projects/hooks/webhooks', {
      token,
      body: { url: `${receiver.url}/x`, events: ['task.exploded'] },
    });
    expect(badEvent.status).toBe(400);
    const list = await rest<{ id: number }[]>('GET', '/api/projects/hooks/webhooks', { token });
    expect(list.status).toBe(200);
    expect(list.body.map((w) => w.id)).toContain(made.body.id);
    const base = `/api/projects/hooks/webhooks/${made.body.id}`;
    const patched = await rest<{ events: string[] | null }>('PATCH', base, {
      token,
      body: { events: null },
    });
    expect(patched).toMatchObject({ status: 200, body: { events: null } });
    const nothing = await rest('PATCH', base, { token, body: {} });
    expect(nothing.status).toBe(400);
    const rotated = await rest<{ secret: string }>('POST', `${base}/rotate-secret`, { token });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(made.body.secret);
    const pinged = await rest<{ message_id: string }>('POST', `${base}/test`, { token });
    expect(pinged.status).toBe(200);
    await receiver.waitFor(() => receiver.at('/rest').some((r) => r.id === pinged.body.message_id));
    // Paged like the other REST lists: a plain array, the next page in Link / X-Next-Cursor.
    let log = await rest<unknown[]>('GET', `${base}/deliveries?limit=1`, { token });
    for (let i = 0; i < 50 && log.body.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      log = await rest<unknown[]>('GET', `${base}/deliveries?limit=1`, { token });
    }
    expect(log.status).toBe(200);
    expect(log.body).toHaveLength(1);
    const gone = await rest('DELETE', base, { token });
    expect(gone).toMatchObject({ status: 200, body: { id: made.body.id, deleted: true } });
    expect((await rest('GET', base, { token })).status).toBe(404);
    expect((await rest('GET', '/api/projects/hooks/webhooks', {})).status).toBe(401);
  });

  describe('SSRF guard', () => {
    const internal = [
      'http://127.0.0.1:9/x',
      'http://10.1.2.3/x',
      'http://[::1]:9/x',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:127.0.0.1]:9/x',
      'http://localhost:9/x',
      'http://100.64.0.1/x',
      'http://192.168.1.1/x',
      'http://[fe80::1]/x',
      'http://0.0.0.0:9/x',
      // Other spellings of loopback and metadata the URL parser turns into those addresses.
      'http://2130706433/x',
      'http://0x7f.1/x',
      'http://[::ffff:a9fe:a9fe]/latest/',
      'http://[fd00:ec2::254]/latest/',
      // IPv6 forms that embed an IPv4 address: compatible, translated, local-use NAT64.
      'http://[::127.0.0.1]:9/x',
      'http://[::ffff:0:7f00:1]:9/x',
      'http://[64:ff9b:1::a9fe:a9fe]/latest/',
    ];

    it.each(internal)('refuses %s with 422 when private networks are not allowed', async (url) => {
      const refused = await failure(strict.webhooks.create.mutate({ project_slug: 'hooks', url }));
      expect(refused.httpStatus).toBe(422);
      expect(refused.message).toMatch(
        /private, loopback, link-local or otherwise internal address .*WEBHOOK_ALLOW_PRIVATE_NETWORKS=true/,
      );
    });

    it('allows them with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true', async () => {
      for (const url of [
        'http://127.0.0.1:9/x',
        'http://localhost:9/x',
        'http://[::1]:9/x',
        'http://10.1.2.3/x',
      ]) {
        const sub = await olga.webhooks.create.mutate({ project_slug: 'hooks', url });
        await olga.webhooks.delete.mutate({ project_slug: 'hooks', id: sub.id });
      }
    });

    it('refuses an unresolvable host, and an update to an internal URL', async () => {
      const nowhere = await failure(
        strict.webhooks.create.mutate({
          project_slug: 'hooks',
          url: 'http://no-such-host.invalid/x',
        }),
      );
      expect(nowhere).toMatchObject({ httpStatus: 422 });
      expect(nowhere.message).toMatch(/cannot be resolved/);
      const sub = await olga.webhooks.create.mutate({
        project_slug: 'hooks',
        url: `${receiver.url}/moved`,
        events: ['task.blocked'],
      });
      const moved = await failure(
        strict.webhooks.update.mutate({
          project_slug: 'hooks',
          id: sub.id,
          url: 'http://127.0.0.2/x',
        }),
      );
      expect(moved.httpStatus).toBe(422);
    });
  });
});

/** The dispatcher, called directly on a database no other dispatcher drains. */
describe('delivery-time checks', () => {
  let h: Harness;
  let receiver: WebhookReceiver;
  let olga: Client;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    h = await startHarness({ webhooks: { allowPrivateNetworks: true } });
    olga = await h.as('olga', { name: 'Olga' });
    await olga.projects.create.mutate({ slug: 'late', name: 'Late' });
  });
  afterAll(async () => {
    await h.stop();
    await receiver.stop();
  });

  it('refuses an internal address at delivery time too, and sends nothing there', async () => {
    // Subscribed while private networks were allowed; delivered by a process that refuses them.
    const sub = await olga.webhooks.create.mutate({
      project_slug: 'late',
      url: `${receiver.url}/late`,
    });
    await olga.tasks.create.mutate({ project_slug: 'late', title: 'Late' });
    const strictSettings = { ...WEBHOOK_DEFAULTS, allowPrivateNetworks: false, retryBaseMs: 10 };
    const report = await dispatchDueWebhooks(h.database.db, strictSettings);
    expect(report).toMatchObject({ claimed: 1, delivered: 0, failed: 1 });
    expect(receiver.received).toHaveLength(0);
    const log = await olga.webhooks.deliveries.query({ project_slug: 'late', id: sub.id });
    expect(log.items[0]).toMatchObject({ attempt: 1, status_code: null });
    expect(log.items[0]?.error).toMatch(/internal address \(127\.0\.0\.1\)/);
    // The same message, retried by a process that allows them, arrives with the same id.
    await new Promise((r) => setTimeout(r, 50));
    const allowed = await dispatchDueWebhooks(h.database.db, {
      ...strictSettings,
      allowPrivateNetworks: true,
    });
    expect(allowed).toMatchObject({ claimed: 1, delivered: 1 });
    expect(receiver.received.map((r) => r.id)).toEqual([log.items[0]?.message_id]);
  });

  it('records the rest of a round when a subscription is deleted while its message is in flight', async () => {
    const gone = await olga.webhooks.create.mutate({
      project_slug: 'late',
      url: `${receiver.url}/gone`,
    });
    const kept = await olga.webhooks.create.mutate({
      project_slug: 'late',
      url: `${receiver.url}/kept`,
    });
    receiver.answer = (got) => (got.path === '/gone' ? 'hang' : 200);
    await olga.tasks.create.mutate({ project_slug: 'late', title: 'In flight' });
    const settings = { ...WEBHOOK_DEFAULTS, allowPrivateNetworks: true, timeoutMs: 1_000 };
    const round = dispatchDueWebhooks(h.database.db, settings);
    await receiver.waitFor(() => receiver.at('/gone').length >= 1);
    await olga.webhooks.delete.mutate({ project_slug: 'late', id: gone.id });
    // The deleted endpoint's attempt has nowhere to be logged; the round still completes.
    const report = await round;
    expect(report.failed).toBe(0);
    const log = await olga.webhooks.deliveries.query({ project_slug: 'late', id: kept.id });
    expect(log.items.map((d) => d.status_code)).toEqual([200]);
    receiver.answer = () => 200;
  });

  it('connects to the address it checked, never resolving the name again (DNS rebinding)', async () => {
    // The name does not resolve at all: the request can only reach the receiver through the pinned address.
    const port = new URL(receiver.url).port;
    const outcome = await postWebhook({
      url: new URL(`http://rebinding.invalid:${port}/pinned`),
      addresses: [{ address: '127.0.0.1', family: 4 }],
      headers: { 'webhook-id': 'msg_pinned' },
      body: '{"type":"webhook.ping"}',
      timeoutMs: 5_000,
      maxResponseBytes: 1024,
    });
    expect(outcome).toMatchObject({ statusCode: 200, error: null });
    expect(receiver.at('/pinned')[0]?.headers.host).toBe(`rebinding.invalid:${port}`);
  });

  it('does not follow redirects, and bounds the time it waits', async () => {
    receiver.answer = (got) =>
      got.path === '/redirect' ? 302 : got.path === '/slow' ? 'hang' : 200;
    const base = {
      addresses: [{ address: '127.0.0.1', family: 4 as const }],
      headers: {},
      body: '{}',
      maxResponseBytes: 64,
    };
    const redirected = await postWebhook({
      ...base,
      url: new URL(`${receiver.url}/redirect`),
      timeoutMs: 5_000,
    });
    expect(redirected).toMatchObject({
      statusCode: 302,
      error: 'HTTP 302: redirects are not followed',
    });
    const slow = await postWebhook({
      ...base,
      url: new URL(`${receiver.url}/slow`),
      timeoutMs: 300,
    });
    expect(slow).toMatchObject({ statusCode: null, error: 'timed out after 300 ms' });
  });

  it('gives a message up (dead) once its retries would pass WEBHOOK_MAX_AGE, and logs why', async () => {
    receiver.answer = (got) => (got.path === '/gone' ? 500 : 200);
    const sub = await olga.webhooks.create.mutate({
      project_slug: 'late',
      url: `${receiver.url}/gone`,
      events: ['task.created'],
    });
    await olga.tasks.create.mutate({ project_slug: 'late', title: 'Too late' });
    const settings = { ...WEBHOOK_DEFAULTS, allowPrivateNetworks: true, maxAgeMs: 1 };
    // (The project's first endpoint, which takes every event, gets it too, and succeeds.)
    expect(await dispatchDueWebhooks(h.database.db, settings)).toMatchObject({ failed: 1 });
    const row = await h.database.db
      .selectFrom('webhook_outbox')
      .selectAll()
      .where('subscription_id', '=', sub.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'dead', attempts: 1, last_error: 'HTTP 500: nope' });
    // Nothing is due any more.
    expect(await dispatchDueWebhooks(h.database.db, settings)).toMatchObject({ claimed: 0 });
    // A message no attempt ever settled (its process died each time) is given up on too.
    await h.database.db
      .updateTable('webhook_outbox')
      .set({ status: 'pending', next_attempt_at: new Date(Date.now() - 1000) })
      .where('subscription_id', '=', sub.id)
      .execute();
    await pruneWebhookLog(h.database.db, { ...settings, logRetentionMs: 86_400_000 });
    expect(
      await h.database.db
        .selectFrom('webhook_outbox')
        .select(['status', 'last_error'])
        .where('subscription_id', '=', sub.id)
        .executeTakeFirstOrThrow(),
    ).toEqual({
      status: 'dead',
      last_error: 'HTTP 500: nope; not delivered within the retry window',
    });
    receiver.answer = () => 200;
  });

  it('deletes settled messages and their log past WEBHOOK_LOG_RETENTION, and nothing still due', async () => {
    const sub = await olga.webhooks.create.mutate({
      project_slug: 'late',
      url: `${receiver.url}/kept`,
      events: ['task.updated'],
    });
    const task = await olga.tasks.create.mutate({ project_slug: 'late', title: 'Kept' });
    await olga.tasks.update.mutate({ id: task.id, title: 'Kept once' });
    const settings = { ...WEBHOOK_DEFAULTS, allowPrivateNetworks: true };
    await dispatchDueWebhooks(h.database.db, settings);
    await olga.tasks.update.mutate({ id: task.id, title: 'Kept twice' });
    const deliveries = () => olga.webhooks.deliveries.query({ project_slug: 'late', id: sub.id });
    expect((await deliveries()).items).toHaveLength(1);
    // A week's retention keeps it; a retention of 1 ms deletes the delivered one only.
    expect(await pruneWebhookLog(h.database.db, settings)).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    expect(
      await pruneWebhookLog(h.database.db, { ...settings, logRetentionMs: 1 }),
    ).toBeGreaterThan(0);
    expect((await deliveries()).items).toEqual([]);
    const left = await h.database.db
      .selectFrom('webhook_outbox')
      .select('status')
      .where('subscription_id', '=', sub.id)
      .execute();
    expect(left).toEqual([{ status: 'pending' }]);
  });
});

describe('a stopping process', () => {
  let h: Harness;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    h = await startHarness({ webhooks: { allowPrivateNetworks: true } });
  });
  afterAll(async () => {
    await h.stop();
    await receiver.stop();
  });

  it('cuts a hanging delivery short and records it as a failed attempt, to be retried', async () => {
    const olga = await h.as('olga', { name: 'Olga' });
    await olga.projects.create.mutate({ slug: 'stuck', name: 'Stuck' });
    const sub = await olga.webhooks.create.mutate({
      project_slug: 'stuck',
      url: `${receiver.url}/stuck`,
    });
    receiver.answer = () => 'hang';
    await olga.tasks.create.mutate({ project_slug: 'stuck', title: 'Hanging' });
    // A timeout far longer than this test may run: only the stop can end the request.
    const settings = { ...WEBHOOK_DEFAULTS, allowPrivateNetworks: true, timeoutMs: 600_000 };
    const dispatcher = startWebhookDispatcher(
      h.database.db,
      createLogger({ service: 'api', level: 'silent' }),
      settings,
      50,
    );
    await receiver.waitFor(() => receiver.at('/stuck').length === 1);
    await dispatcher.stop();
    const row = await h.database.db
      .selectFrom('webhook_outbox')
      .select(['status', 'attempts', 'last_error'])
      .where('subscription_id', '=', sub.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      status: 'failed',
      attempts: 1,
      last_error: 'aborted: the sending process was stopping',
    });
    const log = await olga.webhooks.deliveries.query({ project_slug: 'stuck', id: sub.id });
    expect(log.items.map((d) => [d.attempt, d.status_code, d.error])).toEqual([
      [1, null, 'aborted: the sending process was stopping'],
    ]);
  });
});

describe('retry policy', () => {
  it('retries first within 10 s, then backs off exponentially with jitter, capped', () => {
    for (let i = 0; i < 200; i++) {
      const first = retryDelayMs(WEBHOOK_DEFAULTS, 1);
      expect(first).toBeGreaterThanOrEqual(2_500);
      expect(first).toBeLessThanOrEqual(5_000);
      const fifth = retryDelayMs(WEBHOOK_DEFAULTS, 5);
      expect(fifth).toBeGreaterThanOrEqual(40_000);
      expect(fifth).toBeLessThanOrEqual(80_000);
      const late = retryDelayMs(WEBHOOK_DEFAULTS, 40);
      expect(late).toBeGreaterThanOrEqual(WEBHOOK_DEFAULTS.retryMaxMs / 2);
      expect(late).toBeLessThanOrEqual(WEBHOOK_DEFAULTS.retryMaxMs);
    }
    // Jittered: not every delay is the same.
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(WEBHOOK_DEFAULTS, 3)));
    expect(delays.size).toBeGreaterThan(1);
  });
});
