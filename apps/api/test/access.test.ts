import { TASK_ACTIONS } from '@taskflow/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, failure, type Harness, startHarness } from './helpers/harness';
import { move } from './helpers/moves';

describe('a project is the unit of access: to outsiders it does not exist', () => {
  let h: Harness;
  let owner: Client;
  let outsider: Client;
  let admin: Client;
  let taskId: number;

  beforeAll(async () => {
    h = await startHarness();
    owner = await h.as('owner');
    outsider = await h.as('eve');
    admin = await h.as('root', { admin: true });
    await outsider.workers.me.query();
    await owner.projects.create.mutate({ slug: 'secret', name: 'Secret', description: 'hush' });
    taskId = (await owner.tasks.create.mutate({ title: 'classified', project_slug: 'secret' })).id;
    await owner.tasks.create.mutate({ title: 'child', project_slug: 'secret', parent_id: taskId });
  });
  afterAll(() => h.stop());

  async function expectNotFound(call: Promise<unknown>, what: RegExp): Promise<void> {
    const error = await failure(call);
    expect(error).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    expect(error.message).toMatch(what);
  }

  it('every task procedure answers 404 to a non-member, and changes nothing', async () => {
    const id = taskId;
    const task = /^Task \d+ not found$/;
    await expectNotFound(outsider.tasks.get.query({ id }), task);
    await expectNotFound(outsider.tasks.update.mutate({ id, title: 'pwned' }), task);
    await expectNotFound(outsider.tasks.assign.mutate({ id, worker_id: 'eve' }), task);
    await expectNotFound(outsider.tasks.delete.mutate({ id }), task);
    await expectNotFound(outsider.audit.list.query({ task_id: id }), task);
    for (const action of TASK_ACTIONS) {
      await expectNotFound(move(outsider, action, id), task);
    }
    expect(await owner.tasks.get.query({ id })).toMatchObject({ title: 'classified', version: 1 });
  });

  it('a missing task and a hidden one look the same', async () => {
    const missing = await failure(outsider.tasks.get.query({ id: 999_999 }));
    const hidden = await failure(outsider.tasks.get.query({ id: taskId }));
    expect(missing.message.replace(/\d+/, 'N')).toBe(hidden.message.replace(/\d+/, 'N'));
    expect(missing.httpStatus).toBe(hidden.httpStatus);
  });

  it('every project procedure answers 404 to a non-member', async () => {
    const project = /^Project 'secret' not found$/;
    await expectNotFound(outsider.projects.get.query({ slug: 'secret' }), project);
    await expectNotFound(outsider.projects.update.mutate({ slug: 'secret', name: 'x' }), project);
    await expectNotFound(
      outsider.projects.addMember.mutate({ slug: 'secret', worker_id: 'eve' }),
      project,
    );
    await expectNotFound(
      outsider.projects.removeMember.mutate({ slug: 'secret', worker_id: 'owner' }),
      project,
    );
    await expectNotFound(
      outsider.tasks.create.mutate({ title: 'sneak', project_slug: 'secret' }),
      project,
    );
  });

  it('lists never include what the caller may not see', async () => {
    expect((await outsider.tasks.list.query({})).items).toEqual([]);
    expect((await outsider.tasks.list.query({ project_slug: 'secret' })).items).toEqual([]);
    expect((await outsider.tasks.list.query({ q: 'classified' })).items).toEqual([]);
    expect((await outsider.projects.list.query({})).items.map((p) => p.slug)).not.toContain(
      'secret',
    );
    const workers = (await outsider.workers.list.query({})).items;
    expect(workers.map((w) => w.id)).toEqual(['eve']);
  });

  it('admins see and act on every project', async () => {
    expect((await admin.tasks.get.query({ id: taskId })).title).toBe('classified');
    expect((await admin.projects.get.query({ slug: 'secret' })).role).toBeNull();
    const all = (await admin.tasks.list.query({})).items;
    expect(all.map((t) => t.title).sort()).toEqual(['child', 'classified']);
  });

  it('a member added later sees the project; removed, it is gone again', async () => {
    await owner.projects.addMember.mutate({ slug: 'secret', worker_id: 'eve' });
    expect((await outsider.tasks.get.query({ id: taskId })).title).toBe('classified');
    expect((await outsider.projects.list.query({})).items.map((p) => [p.slug, p.role])).toEqual([
      ['secret', 'member'],
    ]);
    await owner.projects.removeMember.mutate({ slug: 'secret', worker_id: 'eve' });
    await expectNotFound(outsider.tasks.get.query({ id: taskId }), /not found/);
  });
});
