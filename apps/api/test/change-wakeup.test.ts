import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { WEBHOOK_DEFAULTS } from '@taskflow/router';
import { createLogger } from '@taskflow/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app';
import { makeClient } from './helpers/harness';
import { TestIssuer } from './helpers/jwks';
import { restClient } from './helpers/rest';
import { openEventStream } from './helpers/sse';
import { WebhookReceiver } from './helpers/webhook-receiver';

/**
 * As in production: audit_log's trigger stays quiet for the API's connections, and neither
 * the feed nor the dispatcher polls in time, so only the API's count of the records its
 * commits wrote (countRecord, including the ones a change writes in its own statement)
 * wakes them. The harness's database notifies from the trigger and would hide a miss.
 */
describe('a commit wakes the change feed and the webhook dispatcher by itself', () => {
  let database: TestDatabase;
  let issuer: TestIssuer;
  let receiver: WebhookReceiver;
  let app: App;
  let baseUrl: string;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase({ notifyFromTrigger: false });
    issuer = await new TestIssuer().start();
    receiver = await new WebhookReceiver().start();
    app = createApp({
      db: database.db,
      logger: createLogger({ service: 'api', level: 'silent' }),
      auth: issuer.verifierOptions(),
      rateLimit: { perMinute: 0, pool: database.pool },
      webhooks: { ...WEBHOOK_DEFAULTS, allowPrivateNetworks: true },
      webhookPollIntervalMs: 600_000,
      changes: { listen: database.listen, fallbackPollMs: 600_000 },
    });
    baseUrl = await app.listen(0);
    token = await issuer.token('ann');
    const ann = makeClient(baseUrl, token);
    await ann.projects.create.mutate({ slug: 'woken', name: 'Woken' });
    await makeClient(baseUrl, await issuer.token('ben')).workers.me.query();
    await ann.projects.addMember.mutate({ slug: 'woken', worker_id: 'ben' });
    await ann.webhooks.create.mutate({ project_slug: 'woken', url: `${receiver.url}/hook` });
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.stop();
    await issuer?.stop();
    await database?.drop();
  });

  it('for a create, an edit, an assignment and a move', async () => {
    const stream = await openEventStream(`${baseUrl}/api/events?project_slug=woken`, {
      authorization: `Bearer ${token}`,
    });
    const rest = restClient(baseUrl);
    const created = await rest<{ id: number }>('POST', '/api/tasks', {
      token,
      body: { title: 'Wake up', project_slug: 'woken' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await stream.waitForEvents(1, 5_000);
    expect(
      (await rest('PATCH', `/api/tasks/${id}`, { token, body: { priority: 'high' } })).status,
    ).toBe(200);
    await stream.waitForEvents(2, 5_000);
    expect(
      (await rest('POST', `/api/tasks/${id}/assign`, { token, body: { worker_id: 'ben' } })).status,
    ).toBe(200);
    await stream.waitForEvents(3, 5_000);
    const ben = await issuer.token('ben');
    expect((await rest('POST', `/api/tasks/${id}/start`, { token: ben, body: {} })).status).toBe(
      200,
    );
    await stream.waitForEvents(4, 5_000);
    stream.close();
    expect(stream.events.map((e) => JSON.parse(e.data).action)).toEqual([
      'created',
      'updated',
      'assigned',
      'started',
    ]);
    const page = await makeClient(baseUrl, token).events.list.query({ task_id: id });
    expect(page.items.map((e) => e.action)).toEqual(['created', 'updated', 'assigned', 'started']);
    await receiver.waitFor(() => receiver.at('/hook').length >= 4, 5_000);
    // Deliveries of different messages may overtake one another: each arrives once.
    expect(
      receiver
        .at('/hook')
        .map((r) => r.message.type)
        .sort(),
    ).toEqual(['task.assigned', 'task.created', 'task.started', 'task.updated']);
  });
});
