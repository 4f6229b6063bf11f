import { createDb, type Database, migrateToLatest } from '@taskflow/db';
import {
  appRouter,
  createCallerFactory,
  createInnerContext,
  dispatchDueWebhooks,
  WEBHOOK_DEFAULTS,
} from '@taskflow/router';
import { createLogger } from '@taskflow/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookReceiver } from './helpers/webhook-receiver';

const LOOPBACK_WEBHOOKS = { ...WEBHOOK_DEFAULTS, allowPrivateNetworks: true };

describe('embedded PGlite: same migrations, same procedures', () => {
  let database: Database;
  const createCaller = createCallerFactory(appRouter);
  const callerFor = (id: string, idempotencyKey?: string) =>
    createCaller(
      createInnerContext({
        db: database.db,
        logger: createLogger({ service: 'api', level: 'silent' }),
        principal: { id, role: 'user', name: id },
        idempotencyKey,
        webhooks: LOOPBACK_WEBHOOKS,
      }),
    );

  beforeAll(async () => {
    database = createDb({ dataDir: 'memory://' });
    await migrateToLatest(database.db);
  });
  afterAll(() => database.close());

  it('creates, starts and completes a task, with its audit trail', async () => {
    expect(database.kind).toBe('pglite');
    const ann = callerFor('ann');
    const task = await ann.tasks.create({ title: 'Embedded', tags: ['local'] });
    expect(task).toMatchObject({ status: 'pending', project_slug: 'ann-tasks', tags: ['local'] });
    const started = await ann.tasks.start({ id: task.id });
    expect(started).toMatchObject({ status: 'in_progress', assigned_to: 'ann', version: 2 });
    const done = await ann.tasks.complete({ id: task.id });
    expect(done).toMatchObject({ status: 'completed', progress_percent: 100, version: 3 });
    const trail = (await ann.audit.list({ task_id: task.id })).items;
    expect(trail.map((e) => e.action)).toEqual(['created', 'started', 'completed']);
    expect(typeof trail[0]?.id).toBe('number');
  });

  it('serialises concurrent claims on its single connection: one winner', async () => {
    const ann = callerFor('ann');
    const task = await ann.tasks.create({ title: 'Contested locally' });
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5].map(() => ann.tasks.start({ id: task.id })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
    }
  });

  it('keeps dependencies (advisory lock, cycle check, id arrays, ready filter) on PGlite too', async () => {
    const ann = callerFor('ann');
    const later = await ann.tasks.create({ title: 'Later' });
    const first = await ann.tasks.create({ title: 'First' });
    const added = await ann.tasks.addDependency({ id: later.id, depends_on_id: first.id });
    expect(added).toMatchObject({ blocked_by: [first.id], waiting_for: [first.id], blocks: [] });
    await expect(
      ann.tasks.addDependency({ id: first.id, depends_on_id: later.id }),
    ).rejects.toMatchObject({ code: 'UNPROCESSABLE_CONTENT' });
    await expect(ann.tasks.start({ id: later.id })).rejects.toMatchObject({ code: 'CONFLICT' });
    const ready = (await ann.tasks.list({ ready: true, q: 'First' })).items;
    expect(ready.map((t) => t.id)).toEqual([first.id]);
  });

  it('rolls back a failed mutation on PGlite too', async () => {
    const ann = callerFor('ann');
    const task = await ann.tasks.create({ title: 'Parent' });
    await expect(ann.tasks.update({ id: task.id, parent_id: task.id })).rejects.toMatchObject({
      code: 'UNPROCESSABLE_CONTENT',
    });
    expect((await ann.tasks.get({ id: task.id })).version).toBe(1);
  });

  it('replays a keyed mutation on PGlite too, and refuses its key for another input', async () => {
    const keyed = callerFor('ann', 'pglite-key-1');
    const first = await keyed.tasks.create({ title: 'Keyed locally' });
    const again = await callerFor('ann', 'pglite-key-1').tasks.create({ title: 'Keyed locally' });
    expect(again).toEqual(first);
    await expect(
      callerFor('ann', 'pglite-key-1').tasks.create({ title: 'Another' }),
    ).rejects.toMatchObject({ code: 'UNPROCESSABLE_CONTENT' });
    const mine = (await callerFor('ann').tasks.list({ q: 'Keyed locally' })).items;
    expect(mine).toHaveLength(1);
  });

  it('queues and delivers webhooks on PGlite too', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const ann = callerFor('ann');
      const hook = await ann.webhooks.create({
        project_slug: 'ann-tasks',
        url: `${receiver.url}/pglite`,
        events: ['task.created'],
      });
      const task = await ann.tasks.create({ title: 'Announced locally' });
      expect(await dispatchDueWebhooks(database.db, LOOPBACK_WEBHOOKS)).toMatchObject({
        claimed: 1,
        delivered: 1,
      });
      expect(receiver.received.map((r) => [r.id, r.message.data.task?.id])).toEqual([
        [`msg_${receiver.received[0]?.message.data.event.id}_${hook.id}`, task.id],
      ]);
    } finally {
      await receiver.stop();
    }
  });
});
