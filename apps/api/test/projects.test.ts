import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, failure, type Harness, startHarness } from './helpers/harness';

describe('projects and members', () => {
  let h: Harness;
  let olga: Client;
  let pete: Client;
  let admin: Client;

  beforeAll(async () => {
    h = await startHarness();
    olga = await h.as('olga', { name: 'Olga' });
    pete = await h.as('pete', { name: 'Pete' });
    admin = await h.as('root', { admin: true });
    await pete.workers.me.query();
  });
  afterAll(() => h.stop());

  it('makes the creator the owner, and refuses a taken slug with 409', async () => {
    const project = await olga.projects.create.mutate({
      slug: 'apollo',
      name: ' Apollo ',
      description: 'Moon',
    });
    expect(project).toMatchObject({
      slug: 'apollo',
      name: 'Apollo',
      owner_id: 'olga',
      role: 'owner',
    });
    const taken = await failure(pete.projects.create.mutate({ slug: 'apollo', name: 'Mine' }));
    expect(taken).toMatchObject({ httpStatus: 409, message: "Project slug 'apollo' is taken" });
    const bad = await failure(olga.projects.create.mutate({ slug: 'Not A Slug', name: 'x' }));
    expect(bad.httpStatus).toBe(400);
    expect(bad.issues?.[0]?.path).toBe('slug');
  });

  it('adds members by worker id, and tells an unknown worker apart', async () => {
    const detail = await olga.projects.addMember.mutate({ slug: 'apollo', worker_id: 'pete' });
    expect(detail.members.map((m) => [m.worker_id, m.role, m.name, m.type])).toEqual([
      ['olga', 'owner', 'Olga', 'human'],
      ['pete', 'member', 'Pete', 'human'],
    ]);
    const unknown = await failure(
      olga.projects.addMember.mutate({ slug: 'apollo', worker_id: 'ghost' }),
    );
    expect(unknown).toMatchObject({ httpStatus: 404 });
    expect(unknown.message).toMatch(/Worker 'ghost' not found/);
    expect((await pete.projects.get.query({ slug: 'apollo' })).role).toBe('member');
  });

  it('keeps at least one owner', async () => {
    const lastOwner = await failure(
      olga.projects.removeMember.mutate({ slug: 'apollo', worker_id: 'olga' }),
    );
    expect(lastOwner).toMatchObject({ httpStatus: 409 });
    expect(lastOwner.message).toMatch(/last owner/);
    const demote = await failure(
      olga.projects.addMember.mutate({ slug: 'apollo', worker_id: 'olga', role: 'member' }),
    );
    expect(demote.httpStatus).toBe(409);
    // With a second owner, the first may step down.
    await olga.projects.addMember.mutate({ slug: 'apollo', worker_id: 'pete', role: 'owner' });
    const after = await olga.projects.addMember.mutate({
      slug: 'apollo',
      worker_id: 'olga',
      role: 'member',
    });
    expect(after.members.find((m) => m.worker_id === 'olga')?.role).toBe('member');
  });

  it('lets a member leave, and records membership changes', async () => {
    await olga.projects.removeMember.mutate({ slug: 'apollo', worker_id: 'olga' });
    expect((await failure(olga.projects.get.query({ slug: 'apollo' }))).httpStatus).toBe(404);
    const trail = await h.database.db
      .selectFrom('audit_log')
      .select(['action', 'actor_id', 'context'])
      .where('project_slug', '=', 'apollo')
      .orderBy('id')
      .execute();
    expect(trail.map((e) => e.action)).toEqual([
      'project_created',
      'member_added',
      'member_added',
      'member_added',
      'member_removed',
    ]);
    expect(trail[4]).toMatchObject({
      actor_id: 'olga',
      context: { worker_id: 'olga', role: 'member' },
    });
  });

  it('edits a project and lists mine only', async () => {
    const updated = await pete.projects.update.mutate({
      slug: 'apollo',
      description: 'To the moon',
    });
    expect(updated).toMatchObject({ description: 'To the moon', name: 'Apollo' });
    await olga.projects.create.mutate({ slug: 'zeus', name: 'Zeus' });
    expect((await olga.projects.list.query({})).items.map((p) => p.slug)).toEqual(['zeus']);
    expect((await pete.projects.list.query({})).items.map((p) => p.slug)).toEqual(['apollo']);
    expect((await admin.projects.list.query({})).items.map((p) => p.slug)).toEqual([]);
  });
});

describe('workers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  it('registers a caller as a human on first sight, with the name from the token', async () => {
    const me = await (await h.as('newbie', { name: 'New Bie' })).workers.me.query();
    expect(me).toMatchObject({ id: 'newbie', type: 'human', name: 'New Bie', role: 'user' });
  });

  it('lets an admin turn a worker into an agent, and the trail follows', async () => {
    const admin = await h.as('root', { admin: true });
    const bot = await h.as('bot-7', { name: 'bot-7' });
    await bot.tasks.create.mutate({ title: 'as human' });
    const upserted = await admin.workers.upsert.mutate({
      id: 'bot-7',
      type: 'agent',
      name: 'Reviewer Bot',
    });
    expect(upserted).toMatchObject({ id: 'bot-7', type: 'agent', name: 'Reviewer Bot' });
    const task = await bot.tasks.create.mutate({ title: 'as agent' });
    // The agent's own token says 'bot-7'; the admin's name for it stays.
    expect(await bot.workers.me.query()).toMatchObject({ type: 'agent', name: 'Reviewer Bot' });
    const trail = (await bot.audit.list.query({ task_id: task.id })).items;
    expect(trail[0]?.actor_type).toBe('agent');
    const agents = (await admin.workers.list.query({ type: 'agent' })).items;
    expect(agents.map((w) => w.id)).toEqual(['bot-7']);
    const registration = await h.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'worker_upserted')
      .executeTakeFirstOrThrow();
    expect(registration.context).toMatchObject({
      worker_id: 'bot-7',
      type: 'agent',
      previous: { type: 'human' },
    });
  });

  it('validates worker registrations', async () => {
    const admin = await h.as('root', { admin: true });
    const bad = await failure(
      admin.workers.upsert.mutate({ id: '', type: 'robot' as 'agent', name: '' }),
    );
    expect(bad.httpStatus).toBe(400);
    expect(bad.issues?.map((i) => i.path).sort()).toEqual(['id', 'name', 'type']);
  });
});
