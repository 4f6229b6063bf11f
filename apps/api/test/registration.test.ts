import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness';

describe('workers register on first sight, and that is on record', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ maxConnections: 20 });
  });
  afterAll(() => h.stop());

  const workerAudit = (workerId: string) =>
    h.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('actor_id', '=', workerId)
      .where('action', 'in', ['worker_registered', 'worker_renamed'])
      .orderBy('id')
      .execute();

  it('records a registration once, even for many concurrent first requests', async () => {
    const client = h.withToken(await h.issuer.token('newcomer', { name: 'Nina' }));
    await Promise.all(Array.from({ length: 12 }, () => client.workers.me.query()));
    const rows = await workerAudit('newcomer');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'worker_registered',
      actor_type: 'human',
      task_id: null,
      client: 'trpc',
      context: { worker_id: 'newcomer', type: 'human', name: 'Nina' },
    });
  });

  it('records an agent as an agent', async () => {
    const bot = h.withToken(await h.issuer.token('bot-7', { name: 'Bot 7', worker_type: 'agent' }));
    expect((await bot.workers.me.query()).type).toBe('agent');
    expect(await workerAudit('bot-7')).toMatchObject([
      { action: 'worker_registered', actor_type: 'agent', context: { type: 'agent' } },
    ]);
  });

  it('records a rename that arrives with a new token, and only a real one', async () => {
    const first = h.withToken(await h.issuer.token('renamer', { name: 'Old Name' }));
    await first.workers.me.query();
    await first.workers.me.query();
    const renamed = h.withToken(await h.issuer.token('renamer', { name: 'New Name' }));
    await Promise.all(Array.from({ length: 5 }, () => renamed.workers.me.query()));
    expect((await renamed.workers.me.query()).name).toBe('New Name');
    const rows = await workerAudit('renamer');
    expect(rows.map((r) => r.action)).toEqual(['worker_registered', 'worker_renamed']);
    expect(rows[1]?.context).toEqual({ worker_id: 'renamer', from: 'Old Name', to: 'New Name' });
  });
});

describe('a default project slug someone else took first', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  it("does not block a user's first task", async () => {
    // Mallory takes every slug the first task of 'ann' could predictably land in.
    const mallory = await h.as('mallory');
    const hash = createHash('sha256').update('ann').digest('hex').slice(0, 8);
    for (const slug of ['ann-tasks', `ann-${hash}-tasks`, `tasks-${hash}`]) {
      await mallory.projects.create.mutate({ slug, name: slug });
    }
    const ann = await h.as('ann', { name: 'Ann' });
    const task = await ann.tasks.create.mutate({ title: 'My first task' });
    expect(task.project_slug).toMatch(/^tasks-[0-9a-f]{12}$/);
    const project = await ann.projects.get.query({ slug: task.project_slug });
    expect(project).toMatchObject({ owner_id: 'ann', role: 'owner' });
    // The next task lands in the same default project.
    expect((await ann.tasks.create.mutate({ title: 'Second' })).project_slug).toBe(
      task.project_slug,
    );
    // Mallory's projects stay Mallory's.
    expect((await ann.projects.list.query()).items).toHaveLength(1);
  });
});
