import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, failure, type Harness, startHarness } from './helpers/harness';

describe('tasks: creation, editing, deletion', () => {
  let h: Harness;
  let ann: Client;
  let bob: Client;

  beforeAll(async () => {
    h = await startHarness();
    ann = await h.as('ann', { name: 'Ann' });
    bob = await h.as('bob', { name: 'Bob' });
    await bob.workers.me.query();
    await ann.projects.create.mutate({ slug: 'core', name: 'Core' });
    await ann.projects.addMember.mutate({ slug: 'core', worker_id: 'bob' });
  });
  afterAll(() => h.stop());

  it('puts a task without a project into the caller default project, created once', async () => {
    const [a, b] = await Promise.all([
      ann.tasks.create.mutate({ title: 'Test Task' }),
      ann.tasks.create.mutate({ title: 'Another' }),
    ]);
    expect(a.project_slug).toBe('ann-tasks');
    expect(b.project_id).toBe(a.project_id);
    const projects = (await ann.projects.list.query({})).items;
    expect(projects.filter((p) => p.slug === 'ann-tasks')).toHaveLength(1);
    // Bob's default project is his own, not Ann's.
    expect((await bob.tasks.create.mutate({ title: 'Mine' })).project_slug).toBe('bob-tasks');
    await expect(bob.tasks.get.query({ id: a.id })).rejects.toMatchObject({
      data: { httpStatus: 404 },
    });
  });

  it('names default projects after the worker, and keeps two namesakes apart', async () => {
    const one = await h.as('user-1', { name: 'Sam Same' });
    const two = await h.as('user-2', { name: 'Sam Same' });
    const a = await one.tasks.create.mutate({ title: 'Mine' });
    const b = await two.tasks.create.mutate({ title: 'Mine too' });
    expect(a.project_slug).toBe('sam-same-tasks');
    expect(b.project_slug).toMatch(/^sam-same-[0-9a-f]{8}-tasks$/);
    expect((await failure(two.tasks.get.query({ id: a.id }))).httpStatus).toBe(404);
  });

  it('rejects invalid input with 400 and issues per field', async () => {
    const bad = await failure(
      // @ts-expect-error status is not part of TaskCreate: a new task is always pending
      ann.tasks.create.mutate({ title: '', status: 'completed', priority: 'urgent' }),
    );
    expect(bad).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });
    expect(bad.message).toMatch(/^Invalid input: /);
    const paths = bad.issues?.map((i) => i.path).sort();
    expect(paths).toEqual(['', 'priority', 'title']);
    expect(bad.issues?.find((i) => i.path === 'title')?.message).toBe('Title is required');
    expect((await ann.tasks.list.query({ q: 'urgent' })).items).toEqual([]);
  });

  it('rejects a title over 200 characters and accepts one of exactly 200', async () => {
    expect((await failure(ann.tasks.create.mutate({ title: 'x'.repeat(201) }))).httpStatus).toBe(
      400,
    );
    expect((await ann.tasks.create.mutate({ title: 'y'.repeat(200) })).title).toHaveLength(200);
  });

  it('checks assignees and parents: project members and tasks of the same project only', async () => {
    const parent = await ann.tasks.create.mutate({ title: 'Parent', project_slug: 'core' });
    const elsewhere = await ann.tasks.create.mutate({ title: 'Elsewhere' });
    const notMember = await failure(
      ann.tasks.create.mutate({ title: 'x', project_slug: 'core', assigned_to: 'nobody' }),
    );
    expect(notMember).toMatchObject({
      httpStatus: 422,
      message: "Worker 'nobody' is not a member of project 'core'",
    });
    const foreignParent = await failure(
      ann.tasks.create.mutate({ title: 'x', project_slug: 'core', parent_id: elsewhere.id }),
    );
    expect(foreignParent).toMatchObject({ httpStatus: 422 });
    expect(foreignParent.message).toMatch(/does not name a task of project 'core'/);

    const child = await ann.tasks.create.mutate({
      title: 'Child',
      project_slug: 'core',
      parent_id: parent.id,
      assigned_to: 'bob',
    });
    expect(child).toMatchObject({ parent_id: parent.id, assigned_to: 'bob' });
    expect((await ann.tasks.list.query({ parent_id: parent.id })).items.map((t) => t.id)).toEqual([
      child.id,
    ]);

    // 0 means none.
    const cleared = await ann.tasks.update.mutate({ id: child.id, parent_id: 0, assigned_to: 0 });
    expect(cleared).toMatchObject({ parent_id: null, assigned_to: null });
  });

  it('refuses a parent that would make a cycle', async () => {
    const a = await ann.tasks.create.mutate({ title: 'A', project_slug: 'core' });
    const b = await ann.tasks.create.mutate({ title: 'B', project_slug: 'core', parent_id: a.id });
    const c = await ann.tasks.create.mutate({ title: 'C', project_slug: 'core', parent_id: b.id });
    const cycle = await failure(ann.tasks.update.mutate({ id: a.id, parent_id: c.id }));
    expect(cycle).toMatchObject({ httpStatus: 422 });
    expect(cycle.message).toMatch(/its own ancestor/);
    const self = await failure(ann.tasks.update.mutate({ id: a.id, parent_id: a.id }));
    expect(self.httpStatus).toBe(422);
    expect((await ann.tasks.get.query({ id: a.id })).parent_id).toBeNull();
  });

  it('assigns only to project members, and records the change', async () => {
    const task = await ann.tasks.create.mutate({ title: 'Assign me', project_slug: 'core' });
    expect(
      (await failure(ann.tasks.assign.mutate({ id: task.id, worker_id: 'stranger' }))).httpStatus,
    ).toBe(422);
    const assigned = await ann.tasks.assign.mutate({ id: task.id, worker_id: 'bob' });
    expect(assigned).toMatchObject({ assigned_to: 'bob', version: 2 });
    const unassigned = await bob.tasks.assign.mutate({ id: task.id, worker_id: null });
    expect(unassigned.assigned_to).toBeNull();
    const trail = (await ann.audit.list.query({ task_id: task.id })).items;
    expect(trail.filter((e) => e.action === 'assigned').map((e) => e.context)).toEqual([
      { from: null, to: 'bob' },
      { from: 'bob', to: null },
    ]);
  });

  it('records the changed fields of an edit, and an edit that changes nothing writes nothing', async () => {
    const task = await ann.tasks.create.mutate({
      title: 'Edit me',
      project_slug: 'core',
      tags: ['a'],
    });
    const edited = await ann.tasks.update.mutate({
      id: task.id,
      description: 'Now with words',
      tags: ['a', 'b'],
      due_date: '2027-03-01',
    });
    expect(edited).toMatchObject({
      version: 2,
      tags: ['a', 'b'],
      due_date: '2027-03-01T00:00:00.000Z',
    });
    const same = await ann.tasks.update.mutate({ id: task.id, title: 'Edit me' });
    expect(same.version).toBe(2);
    const trail = (await ann.audit.list.query({ task_id: task.id })).items;
    expect(trail.map((e) => e.action)).toEqual(['created', 'updated']);
    expect(trail[1]?.context).toEqual({
      changes: {
        description: { from: '', to: 'Now with words' },
        tags: { from: ['a'], to: ['a', 'b'] },
        due_date: { from: null, to: '2027-03-01T00:00:00.000Z' },
      },
    });
  });

  it('deletes a task but keeps its trail, plus a row for the deletion', async () => {
    const task = await ann.tasks.create.mutate({ title: 'Doomed', project_slug: 'core' });
    await bob.tasks.start.mutate({ id: task.id });
    expect(await ann.tasks.delete.mutate({ id: task.id })).toEqual({ id: task.id, deleted: true });
    expect((await failure(ann.tasks.get.query({ id: task.id }))).httpStatus).toBe(404);
    const trail = (await ann.audit.list.query({ task_id: task.id })).items;
    expect(trail.map((e) => e.action)).toEqual(['created', 'started', 'deleted']);
    expect(trail[2]?.context).toMatchObject({ title: 'Doomed', status: 'in_progress' });
    expect((await failure(ann.tasks.delete.mutate({ id: task.id }))).httpStatus).toBe(404);
  });

  it('refuses to delete a task that has subtasks', async () => {
    const parent = await ann.tasks.create.mutate({ title: 'Has kids', project_slug: 'core' });
    await ann.tasks.create.mutate({ title: 'Kid', project_slug: 'core', parent_id: parent.id });
    const error = await failure(ann.tasks.delete.mutate({ id: parent.id }));
    expect(error).toMatchObject({ httpStatus: 409 });
    expect(error.message).toMatch(/has subtasks/);
    expect((await ann.tasks.get.query({ id: parent.id })).title).toBe('Has kids');
  });

  it('pages through the audit trail', async () => {
    const task = await ann.tasks.create.mutate({ title: 'Chatty', project_slug: 'core' });
    await ann.tasks.start.mutate({ id: task.id });
    for (const percent of [10, 20, 30, 40])
      await ann.tasks.progress.mutate({ id: task.id, percent });
    const first = (await ann.audit.list.query({ task_id: task.id, limit: 4 })).items;
    const second = (await ann.audit.list.query({ task_id: task.id, limit: 4, offset: 4 })).items;
    expect(first.map((e) => e.action)).toEqual(['created', 'started', 'progress', 'progress']);
    expect(second.map((e) => e.context.percent)).toEqual([30, 40]);
  });
});
