import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, failure, type Harness, startHarness } from './helpers/harness';
import { restClient } from './helpers/rest';

describe('tasks.list: filters, sorting, paging', () => {
  let h: Harness;
  let ann: Client;
  let bob: Client;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    h = await startHarness();
    ann = await h.as('ann');
    bob = await h.as('bob');
    await bob.workers.me.query();
    await ann.projects.create.mutate({ slug: 'one', name: 'One' });
    await ann.projects.create.mutate({ slug: 'two', name: 'Two' });
    await ann.projects.addMember.mutate({ slug: 'one', worker_id: 'bob' });
    const make = async (
      key: string,
      input: Parameters<Client['tasks']['create']['mutate']>[0],
    ): Promise<void> => {
      ids[key] = (await ann.tasks.create.mutate(input)).id;
    };
    await make('fix', {
      title: 'Fix login bug',
      project_slug: 'one',
      priority: 'critical',
      tags: ['bug', 'auth'],
    });
    await make('docs', {
      title: 'Write docs',
      project_slug: 'one',
      priority: 'low',
      due_date: '2027-02-01',
    });
    await make('perf', {
      title: 'Speed up LOGIN page',
      project_slug: 'two',
      priority: 'high',
      tags: ['perf'],
    });
    await make('pct', { title: '100% coverage_goal', project_slug: 'two', due_date: '2027-01-15' });
    await make('sub', { title: 'Sub of fix', project_slug: 'one', parent_id: ids.fix as number });
    await bob.tasks.start.mutate({ id: ids.fix as number });
  });
  afterAll(() => h.stop());

  const titles = async (input: Parameters<Client['tasks']['list']['query']>[0], client = ann) =>
    (await client.tasks.list.query(input)).items.map((t) => t.title);

  it('lists newest first by default', async () => {
    expect(await titles({})).toEqual([
      'Sub of fix',
      '100% coverage_goal',
      'Speed up LOGIN page',
      'Write docs',
      'Fix login bug',
    ]);
  });

  it('filters by status, assignee, project, parent, priority, tag and due date', async () => {
    expect(await titles({ status: 'in_progress' })).toEqual(['Fix login bug']);
    expect(await titles({ assigned_to: 'bob' })).toEqual(['Fix login bug']);
    expect(await titles({ assigned_to: 'me' }, bob)).toEqual(['Fix login bug']);
    expect(await titles({ project_slug: 'two' })).toEqual([
      '100% coverage_goal',
      'Speed up LOGIN page',
    ]);
    expect(await titles({ parent_id: ids.fix })).toEqual(['Sub of fix']);
    expect(await titles({ parent_id: 0, project_slug: 'one' })).toEqual([
      'Write docs',
      'Fix login bug',
    ]);
    expect(await titles({ priority: 'high' })).toEqual(['Speed up LOGIN page']);
    expect(await titles({ tag: 'bug' })).toEqual(['Fix login bug']);
    expect(await titles({ has_due_date: true, sort_by: 'due_date', sort_order: 'asc' })).toEqual([
      '100% coverage_goal',
      'Write docs',
    ]);
    expect(await titles({ has_due_date: false })).toHaveLength(3);
  });

  it('searches titles case-insensitively, taking % and _ literally', async () => {
    expect(await titles({ q: 'login' })).toEqual(['Speed up LOGIN page', 'Fix login bug']);
    expect(await titles({ q: '100%' })).toEqual(['100% coverage_goal']);
    expect(await titles({ q: '%' })).toEqual(['100% coverage_goal']);
    expect(await titles({ q: 'e_g' })).toEqual(['100% coverage_goal']);
  });

  it('sorts by priority, title and due date (no due date last)', async () => {
    expect(await titles({ sort_by: 'priority', sort_order: 'desc', parent_id: 0 })).toEqual([
      'Fix login bug',
      'Speed up LOGIN page',
      '100% coverage_goal',
      'Write docs',
    ]);
    expect(await titles({ sort_by: 'title', sort_order: 'asc', project_slug: 'one' })).toEqual([
      'Fix login bug',
      'Sub of fix',
      'Write docs',
    ]);
    const byDue = await titles({ sort_by: 'due_date', sort_order: 'desc' });
    expect(byDue.slice(0, 2)).toEqual(['Write docs', '100% coverage_goal']);
  });

  it('pages with a stable order: no task twice, none skipped', async () => {
    // Equal priorities tie; the id tiebreak keeps pages disjoint.
    const seen: number[] = [];
    for (let offset = 0; offset < 6; offset += 2) {
      const page = (await ann.tasks.list.query({ sort_by: 'priority', limit: 2, offset })).items;
      seen.push(...page.map((t) => t.id));
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it('bounds the page size', async () => {
    expect((await failure(ann.tasks.list.query({ limit: 101 }))).httpStatus).toBe(400);
    expect((await failure(ann.tasks.list.query({ limit: 0 }))).httpStatus).toBe(400);
    expect(await titles({ limit: 1 })).toHaveLength(1);
  });

  it('counts per status with the same filters as the list, over tRPC and REST', async () => {
    expect(await ann.tasks.counts.query()).toEqual({
      pending: 4,
      in_progress: 1,
      review: 0,
      completed: 0,
      blocked: 0,
      total: 5,
    });
    expect(await ann.tasks.counts.query({ q: 'login' })).toMatchObject({
      pending: 1,
      in_progress: 1,
      total: 2,
    });
    expect(await ann.tasks.counts.query({ project_slug: 'one', tag: 'bug' })).toMatchObject({
      in_progress: 1,
      total: 1,
    });
    // Bob is not a member of project two: its tasks are not his to count.
    expect((await bob.tasks.counts.query()).total).toBe(3);
    expect((await bob.tasks.counts.query({ assigned_to: 'me' })).in_progress).toBe(1);

    const call = restClient(h.baseUrl);
    const token = await h.issuer.token('ann');
    const rest = await call<{ pending: number; total: number }>(
      'GET',
      '/api/tasks/counts?project=two',
      { token },
    );
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ pending: 2, total: 2 });
    expect((await call('GET', '/api/tasks/counts?priority=nope', { token })).status).toBe(400);
    expect((await call('GET', '/api/tasks/counts')).status).toBe(401);
  });
});
