import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, failure, type Harness, startHarness } from './helpers/harness';

describe('the task workflow over tRPC HTTP', () => {
  let h: Harness;
  let owner: Client;
  let dev: Client;
  let reviewer: Client;
  let admin: Client;
  let agent: Client;

  beforeAll(async () => {
    h = await startHarness();
    owner = await h.as('owner-1', { name: 'Olivia Owner' });
    dev = await h.as('dev-1', { name: 'Dana Dev' });
    reviewer = await h.as('reviewer-1', { name: 'Rita Reviewer' });
    admin = await h.as('admin-1', { admin: true });
    agent = await h.as('agent-1', { name: 'Build Bot' });
    // Everyone signs in once, so they are in the worker registry.
    for (const c of [owner, dev, reviewer, admin, agent]) await c.workers.me.query();
    await admin.workers.upsert.mutate({ id: 'agent-1', type: 'agent', name: 'Build Bot' });
    await owner.projects.create.mutate({ slug: 'web', name: 'Web' });
    for (const id of ['dev-1', 'reviewer-1', 'agent-1']) {
      await owner.projects.addMember.mutate({ slug: 'web', worker_id: id });
    }
  });
  afterAll(() => h.stop());

  it('runs a task from creation to completion, and records every step', async () => {
    const created = await owner.tasks.create.mutate({
      title: '  Ship the board ',
      project_slug: 'web',
      priority: 'high',
      tags: ['ui'],
    });
    expect(created).toMatchObject({
      title: 'Ship the board',
      status: 'pending',
      priority: 'high',
      version: 1,
      project_slug: 'web',
      created_by: 'owner-1',
      assigned_to: null,
      progress_percent: 0,
    });
    expect(new Date(created.created_at).toISOString()).toBe(created.created_at);

    const started = await dev.tasks.start.mutate({ id: created.id });
    expect(started).toMatchObject({ status: 'in_progress', assigned_to: 'dev-1', version: 2 });
    expect(started.started_at).not.toBeNull();

    const progressed = await dev.tasks.progress.mutate({
      id: created.id,
      percent: 40,
      note: 'layout done',
    });
    expect(progressed).toMatchObject({ progress_percent: 40, version: 3 });

    expect((await dev.tasks.submitForReview.mutate({ id: created.id })).status).toBe('review');
    const changes = await reviewer.tasks.requestChanges.mutate({
      id: created.id,
      note: 'add tests',
    });
    expect(changes.status).toBe('in_progress');
    await dev.tasks.submitForReview.mutate({ id: created.id, note: 'tests added' });
    const done = await reviewer.tasks.complete.mutate({ id: created.id });
    expect(done).toMatchObject({ status: 'completed', progress_percent: 100 });
    expect(done.completed_at).not.toBeNull();

    const reopened = await owner.tasks.reopen.mutate({ id: created.id, note: 'regression' });
    expect(reopened).toMatchObject({ status: 'review', completed_at: null });
    const final = await dev.tasks.complete.mutate({ id: created.id });
    expect(final.status).toBe('completed');

    const trail = (await owner.audit.list.query({ task_id: created.id })).items;
    expect(trail.map((e) => [e.action, e.actor_id])).toEqual([
      ['created', 'owner-1'],
      ['started', 'dev-1'],
      ['progress', 'dev-1'],
      ['submitted_for_review', 'dev-1'],
      ['changes_requested', 'reviewer-1'],
      ['submitted_for_review', 'dev-1'],
      ['completed', 'reviewer-1'],
      ['reopened', 'owner-1'],
      ['completed', 'dev-1'],
    ]);
    expect(trail[2]?.context).toEqual({
      from: 'in_progress',
      to: 'in_progress',
      percent: 40,
      note: 'layout done',
    });
    expect(trail[4]?.context).toMatchObject({ note: 'add tests' });
    expect(trail.every((e) => e.actor_type === 'human' && e.project_slug === 'web')).toBe(true);
    // Ids are the change feed's cursor: strictly increasing.
    const ids = trail.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it('returns a blocked task to the status it had, with the reason recorded', async () => {
    const task = await owner.tasks.create.mutate({ title: 'Blockable', project_slug: 'web' });
    const blockedPending = await reviewer.tasks.block.mutate({
      id: task.id,
      reason: 'waiting on design',
    });
    expect(blockedPending).toMatchObject({
      status: 'blocked',
      blocked_from: 'pending',
      blocked_reason: 'waiting on design',
    });
    // Unassigned: any member may unblock.
    expect((await reviewer.tasks.unblock.mutate({ id: task.id })).status).toBe('pending');

    await dev.tasks.start.mutate({ id: task.id });
    await dev.tasks.block.mutate({ id: task.id, reason: 'API down' });
    const back = await dev.tasks.unblock.mutate({ id: task.id });
    expect(back).toMatchObject({
      status: 'in_progress',
      blocked_from: null,
      blocked_reason: null,
      assigned_to: 'dev-1',
    });

    const trail = (await dev.audit.list.query({ task_id: task.id })).items;
    expect(trail.filter((e) => e.action === 'blocked').map((e) => e.context.reason)).toEqual([
      'waiting on design',
      'API down',
    ]);
  });

  it('records an agent as an agent, from the worker registry', async () => {
    const task = await owner.tasks.create.mutate({ title: 'For the bot', project_slug: 'web' });
    await agent.tasks.start.mutate({ id: task.id });
    await agent.tasks.progress.mutate({ id: task.id, percent: 100, note: 'all green' });
    await agent.tasks.complete.mutate({ id: task.id });
    const trail = (await owner.audit.list.query({ task_id: task.id })).items;
    expect(trail.slice(1).map((e) => e.actor_type)).toEqual(['agent', 'agent', 'agent']);
    expect(trail[0]?.actor_type).toBe('human');
    expect(await agent.workers.me.query()).toMatchObject({
      id: 'agent-1',
      type: 'agent',
      role: 'user',
    });
  });

  it('honours expected_version on moves and edits: a stale one changes nothing', async () => {
    const task = await owner.tasks.create.mutate({ title: 'Versioned', project_slug: 'web' });
    const edited = await owner.tasks.update.mutate({
      id: task.id,
      title: 'Versioned v2',
      expected_version: 1,
    });
    expect(edited.version).toBe(2);
    const stale = await failure(
      owner.tasks.update.mutate({ id: task.id, title: 'Lost update', expected_version: 1 }),
    );
    expect(stale).toMatchObject({ code: 'CONFLICT', httpStatus: 409 });
    expect(stale.message).toMatch(/version 2, not 1/);
    const staleMove = await failure(dev.tasks.start.mutate({ id: task.id, expected_version: 1 }));
    expect(staleMove.httpStatus).toBe(409);
    const now = await owner.tasks.get.query({ id: task.id });
    expect(now).toMatchObject({ title: 'Versioned v2', version: 2, status: 'pending' });
    const trail = (await owner.audit.list.query({ task_id: task.id })).items;
    expect(trail.map((e) => e.action)).toEqual(['created', 'updated']);
    expect(trail[1]?.context).toEqual({
      changes: { title: { from: 'Versioned', to: 'Versioned v2' } },
    });
  });
});
