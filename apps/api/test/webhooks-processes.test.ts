import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIssuer } from './helpers/jwks';
import { parsePrometheus, sampleValue } from './helpers/observe';
import { type ServiceProcess, startApiFor } from './helpers/process';
import { restClient } from './helpers/rest';
import { WebhookReceiver } from './helpers/webhook-receiver';

const TASKS = 60;

/**
 * Real API processes on one PostgreSQL database, each running its webhook dispatcher:
 * every message is delivered exactly once between them, and a process killed in the
 * middle of a delivery does not lose the message.
 */
describe('webhook delivery across API processes', () => {
  let issuer: TestIssuer;
  let database: TestDatabase;
  let receiver: WebhookReceiver;
  let token = '';
  const running: ServiceProcess[] = [];

  const start = async (): Promise<string> => {
    const { api, url } = await startApiFor(issuer, database.url, {
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_POLL_INTERVAL_MS: '50',
      // A claim's lease is twice this plus 5 s: how long a killed process holds a message.
      WEBHOOK_TIMEOUT: '2s',
      WEBHOOK_RETRY_BASE: '1s',
    });
    running.push(api);
    return url;
  };
  const call = <T>(url: string, method: string, path: string, body?: unknown) =>
    restClient(url)<T>(method, path, { token, ...(body !== undefined && { body }) });

  let a = '';
  let b = '';

  beforeAll(async () => {
    issuer = await new TestIssuer().start();
    database = await createTestDatabase({ migrate: false });
    receiver = await new WebhookReceiver().start();
    token = await issuer.token('owner', { name: 'Owner' });
    // One at a time: the first migrates, the second finds it done.
    a = await start();
    b = await start();
    expect((await call(a, 'POST', '/api/projects', { slug: 'fleet', name: 'Fleet' })).status).toBe(
      201,
    );
  }, 120_000);

  afterAll(async () => {
    for (const api of running) if (api.child.exitCode === null) api.child.kill('SIGTERM');
    await Promise.all(running.map((api) => api.exited));
    await receiver.stop();
    await issuer.stop();
    await database.drop();
  }, 60_000);

  it(`delivers each of ${TASKS} messages exactly once between two processes`, async () => {
    const made = await call<{ id: number; secret: string }>(
      a,
      'POST',
      '/api/projects/fleet/webhooks',
      {
        url: `${receiver.url}/once`,
        events: ['task.created'],
      },
    );
    expect(made.status).toBe(201);
    // Changes through both processes, concurrently.
    await Promise.all(
      Array.from({ length: TASKS }, (_, i) =>
        call(i % 2 ? a : b, 'POST', '/api/tasks', { title: `job ${i}`, project_slug: 'fleet' }),
      ),
    );
    await receiver.waitFor(() => receiver.at('/once').length >= TASKS, 60_000);
    // Both dispatchers keep polling; nothing more may arrive once every message is settled.
    const settled = async () =>
      (
        await database.db
          .selectFrom('webhook_outbox')
          .select(['status', 'attempts'])
          .where('subscription_id', '=', made.body.id)
          .execute()
      ).every((row) => row.status === 'delivered');
    for (let i = 0; i < 100 && !(await settled()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await settled()).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    const ids = receiver.at('/once').map((r) => r.id);
    expect(ids).toHaveLength(TASKS);
    expect(new Set(ids).size).toBe(TASKS);
    const titles = receiver.at('/once').map((r) => r.message.data.task?.title);
    expect(new Set(titles)).toEqual(new Set(Array.from({ length: TASKS }, (_, i) => `job ${i}`)));
    const log = await database.db
      .selectFrom('webhook_deliveries')
      .select('attempt')
      .where('subscription_id', '=', made.body.id)
      .execute();
    expect(log).toHaveLength(TASKS);
    expect(log.every((d) => d.attempt === 1)).toBe(true);
  }, 90_000);

  it('delivers a message whose process was killed mid-delivery, after its claim expires', async () => {
    // Only process A runs, so it is the one that takes the message.
    const bProcess = running[1] as ServiceProcess;
    bProcess.child.kill('SIGTERM');
    expect(await bProcess.exited).toBe(0);
    const made = await call<{ id: number }>(a, 'POST', '/api/projects/fleet/webhooks', {
      url: `${receiver.url}/killed`,
      events: ['project.updated'],
    });
    expect(made.status).toBe(201);
    // The first request never gets an answer; the next one does.
    receiver.answer = (got, attempts) => (got.path === '/killed' && attempts === 1 ? 'hang' : 200);
    expect((await call(a, 'PATCH', '/api/projects/fleet', { name: 'Fleet 2' })).status).toBe(200);
    await receiver.waitFor(() => receiver.at('/killed').length >= 1, 30_000);
    const aProcess = running[0] as ServiceProcess;
    aProcess.child.kill('SIGKILL');
    await aProcess.exited;

    // A new process finds the claim still held, waits it out, and delivers.
    const c = await start();
    await receiver.waitFor(() => receiver.at('/killed').length >= 2, 60_000);
    const [first, second] = receiver.at('/killed');
    expect(second?.id).toBe(first?.id);
    expect(second?.message.type).toBe('project.updated');
    let row = await database.db
      .selectFrom('webhook_outbox')
      .selectAll()
      .where('subscription_id', '=', made.body.id)
      .executeTakeFirstOrThrow();
    for (let i = 0; i < 100 && row.status !== 'delivered'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      row = await database.db
        .selectFrom('webhook_outbox')
        .selectAll()
        .where('subscription_id', '=', made.body.id)
        .executeTakeFirstOrThrow();
    }
    expect(row).toMatchObject({ status: 'delivered', attempts: 2 });
    // The log has the attempt that finished; the killed one never got to write its own.
    const log = await call<{ attempt: number; status_code: number }[]>(
      c,
      'GET',
      `/api/projects/fleet/webhooks/${made.body.id}/deliveries`,
    );
    expect(log.body.map((d) => [d.attempt, d.status_code])).toEqual([[2, 200]]);
    // And /metrics counts what this process delivered.
    const metrics = parsePrometheus(await (await fetch(`${c}/metrics`)).text());
    expect(sampleValue(metrics, 'webhook_deliveries_total', { outcome: 'delivered' })).toBe(1);
  }, 120_000);
});
