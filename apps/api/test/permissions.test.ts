import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, failure, type Harness, startHarness } from './helpers/harness';

describe('who may do what (403 for a member who may not)', () => {
  let h: Harness;
  let owner: Client;
  let assignee: Client;
  let member: Client;
  let admin: Client;

  beforeAll(async () => {
    h = await startHarness();
    owner = await h.as('owner');
    assignee = await h.as('ann');
    member = await h.as('mo');
    admin = await h.as('root', { admin: true });
    for (const c of [assignee, member, admin]) await c.workers.me.query();
    await owner.projects.create.mutate({ slug: 'perm', name: 'Perm' });
    await owner.projects.addMember.mutate({ slug: 'perm', worker_id: 'ann' });
    await owner.projects.addMember.mutate({ slug: 'perm', worker_id: 'mo' });
  });
  afterAll(() => h.stop());

  /** A task created by the owner, started by ann, optionally moved on. */
  async function inProgress(): Promise<number> {
    const { id } = await owner.tasks.create.mutate({ title: 'work', project_slug: 'perm' });
    await assignee.tasks.start.mutate({ id });
    return id;
  }

  async function expectForbidden(call: Promise<unknown>, message: RegExp): Promise<void> {
    const error = await failure(call);
    expect(error).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
    expect(error.message).toMatch(message);
  }

  it('only the assignee (or an admin) reports progress, submits, completes or blocks in progress', async () => {
    const id = await inProgress();
    await expectForbidden(
      member.tasks.progress.mutate({ id, percent: 10 }),
      /Only the assignee or an admin/,
    );
    await expectForbidden(
      member.tasks.submitForReview.mutate({ id }),
      /Only the assignee or an admin/,
    );
    await expectForbidden(member.tasks.complete.mutate({ id }), /Only the assignee or an admin/);
    await expectForbidden(
      member.tasks.block.mutate({ id, reason: 'x' }),
      /Only the assignee or an admin/,
    );
    // The creator is not the assignee either.
    await expectForbidden(owner.tasks.progress.mutate({ id, percent: 10 }), /Only the assignee/);
    const task = await member.tasks.get.query({ id });
    expect(task).toMatchObject({ version: 2, progress_percent: 0, status: 'in_progress' });
    expect((await admin.tasks.progress.mutate({ id, percent: 30 })).progress_percent).toBe(30);
  });

  it('the assignee cannot request changes on their own work; another member can', async () => {
    const id = await inProgress();
    await assignee.tasks.submitForReview.mutate({ id });
    await expectForbidden(
      assignee.tasks.requestChanges.mutate({ id, note: 'self review' }),
      /Only a member other than the assignee or an admin/,
    );
    expect((await member.tasks.requestChanges.mutate({ id, note: 'fix' })).status).toBe(
      'in_progress',
    );
  });

  it('only the assignee unblocks an assigned task', async () => {
    const id = await inProgress();
    await assignee.tasks.block.mutate({ id, reason: 'waiting' });
    await expectForbidden(
      member.tasks.unblock.mutate({ id }),
      /Only the assignee or any member while the task is unassigned or an admin/,
    );
    expect((await assignee.tasks.unblock.mutate({ id })).status).toBe('in_progress');
  });

  it('only the creator, the assignee or an admin edits or assigns a task', async () => {
    const id = await inProgress();
    await expectForbidden(
      member.tasks.update.mutate({ id, title: 'hijack' }),
      /creator, its assignee or an admin/,
    );
    await expectForbidden(
      member.tasks.assign.mutate({ id, worker_id: 'mo' }),
      /creator, its assignee or an admin/,
    );
    expect((await assignee.tasks.update.mutate({ id, title: 'by assignee' })).title).toBe(
      'by assignee',
    );
    expect((await owner.tasks.update.mutate({ id, title: 'by creator' })).title).toBe('by creator');
    expect((await admin.tasks.assign.mutate({ id, worker_id: 'mo' })).assigned_to).toBe('mo');
  });

  it('only the creator or an admin deletes a task, not even its assignee', async () => {
    const id = await inProgress();
    await expectForbidden(assignee.tasks.delete.mutate({ id }), /creator or an admin/);
    await expectForbidden(member.tasks.delete.mutate({ id }), /creator or an admin/);
    expect(await owner.tasks.delete.mutate({ id })).toEqual({ id, deleted: true });
  });

  it('only an owner or an admin edits a project or manages its members', async () => {
    await expectForbidden(
      member.projects.update.mutate({ slug: 'perm', name: 'Mine now' }),
      /Only an owner/,
    );
    await expectForbidden(
      member.projects.addMember.mutate({ slug: 'perm', worker_id: 'root' }),
      /Only an owner/,
    );
    await expectForbidden(
      member.projects.removeMember.mutate({ slug: 'perm', worker_id: 'ann' }),
      /Only an owner/,
    );
    expect((await member.projects.get.query({ slug: 'perm' })).name).toBe('Perm');
    expect((await admin.projects.update.mutate({ slug: 'perm', name: 'Perm 2' })).name).toBe(
      'Perm 2',
    );
  });

  it('only an admin registers workers', async () => {
    await expectForbidden(
      member.workers.upsert.mutate({ id: 'bot', type: 'agent', name: 'Bot' }),
      /Admins only/,
    );
    const list = (await admin.workers.list.query({ type: 'agent' })).items;
    expect(list.map((w) => w.id)).not.toContain('bot');
    expect(
      await admin.workers.upsert.mutate({ id: 'bot', type: 'agent', name: 'Bot' }),
    ).toMatchObject({ type: 'agent' });
  });
});
