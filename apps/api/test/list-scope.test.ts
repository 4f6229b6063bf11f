import { TASK_PRIORITIES, type TaskSortField } from '@taskflow/contracts';
import { sql } from '@taskflow/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from './helpers/harness';
import { SORT_COLUMNS } from './helpers/sort-columns';

/**
 * "All my projects" (no project filter) reads each of the caller's projects by its own
 * index and merges them: walked by cursor in every sort, it gives exactly the rows of
 * the caller's projects, each once, in the order one SQL query over them gives.
 */
describe('tasks.list across the caller projects', () => {
  let h: Harness;
  let ann: Client;
  let bob: Client;
  let cay: Client;
  let root: Client;
  let erin: Client;
  const projectIds: Record<string, number> = {};

  beforeAll(async () => {
    h = await startHarness();
    ann = await h.as('ann');
    bob = await h.as('bob');
    cay = await h.as('cay');
    root = await h.as('root', { admin: true });
    erin = await h.as('erin');
    await bob.workers.me.query();
    await cay.workers.me.query();
    for (const slug of ['alpha', 'beta', 'gamma']) {
      projectIds[slug] = (await ann.projects.create.mutate({ slug, name: slug })).id;
    }
    // bob: alpha and gamma; cay: beta only.
    await ann.projects.addMember.mutate({ slug: 'alpha', worker_id: 'bob' });
    await ann.projects.addMember.mutate({ slug: 'gamma', worker_id: 'bob' });
    await ann.projects.addMember.mutate({ slug: 'beta', worker_id: 'cay' });
    const slugs = ['alpha', 'beta', 'gamma'];
    for (let i = 0; i < 45; i++) {
      await ann.tasks.create.mutate({
        project_slug: slugs[i % 3] as string,
        title: `Task ${i % 4}`,
        priority: TASK_PRIORITIES[i % TASK_PRIORITIES.length],
        // One in five without a due date: the second run of a due_date walk.
        ...(i % 5 !== 1 && { due_date: `2027-0${1 + (i % 4)}-10` }),
      });
    }
    // Equal times across projects: the id tiebreak is where a merge goes wrong.
    await sql`update tasks set created_at = '2027-01-01'::timestamptz + (id % 4) * interval '1 hour',
      updated_at = '2027-02-01'::timestamptz + (id % 3) * interval '1 minute'`.execute(
      h.database.db,
    );
  });
  afterAll(() => h.stop());

  /** The order of one plain SQL query over the projects: the list must match it. */
  async function expected(
    ids: number[] | 'all',
    sortBy: TaskSortField,
    order: 'asc' | 'desc',
  ): Promise<number[]> {
    const dir = sql.raw(order);
    const where = ids === 'all' ? sql`true` : sql`project_id = any(${ids}::int[])`;
    const { rows } = await sql<{ id: number }>`select id from tasks where ${where}
      order by ${sql.ref(SORT_COLUMNS[sortBy])} ${dir} nulls last, id ${dir}`.execute(
      h.database.db,
    );
    return rows.map((r) => r.id);
  }

  async function walk(
    client: Client,
    input: { sort_by: TaskSortField; sort_order: 'asc' | 'desc'; limit: number },
  ): Promise<number[]> {
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.tasks.list.query({ ...input, ...(cursor && { cursor }) });
      expect(page.items.length).toBeLessThanOrEqual(input.limit);
      seen.push(...page.items.map((t) => t.id));
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor && pages < 100);
    return seen;
  }

  const SORTS: TaskSortField[] = ['created_at', 'updated_at', 'due_date', 'priority', 'title'];
  for (const sort_by of SORTS) {
    for (const sort_order of ['asc', 'desc'] as const) {
      it(`by ${sort_by} ${sort_order}: each row of the member's projects once, in order`, async () => {
        const mine = [projectIds.alpha as number, projectIds.gamma as number];
        const want = await expected(mine, sort_by, sort_order);
        expect(want).toHaveLength(30);
        expect(await walk(bob, { sort_by, sort_order, limit: 4 })).toEqual(want);
      });
    }
  }

  it('due_date: the dated rows of every project, then the undated ones, across pages', async () => {
    for (const sort_order of ['asc', 'desc'] as const) {
      const seen: { due: string | null; project: string }[] = [];
      let cursor: string | undefined;
      do {
        const page = await bob.tasks.list.query({
          sort_by: 'due_date',
          sort_order,
          limit: 7,
          ...(cursor && { cursor }),
        });
        seen.push(...page.items.map((t) => ({ due: t.due_date, project: t.project_slug })));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      const firstNull = seen.findIndex((s) => s.due === null);
      expect(firstNull).toBe(24);
      expect(seen.slice(firstNull).every((s) => s.due === null)).toBe(true);
      // Both runs take rows from both projects.
      for (const run of [seen.slice(0, firstNull), seen.slice(firstNull)]) {
        expect(new Set(run.map((s) => s.project))).toEqual(new Set(['alpha', 'gamma']));
      }
    }
  });

  it("a member of one project sees only that project's tasks, and counts only them", async () => {
    const seen = await walk(cay, { sort_by: 'created_at', sort_order: 'desc', limit: 6 });
    expect(seen).toEqual(await expected([projectIds.beta as number], 'created_at', 'desc'));
    expect((await cay.tasks.counts.query()).total).toBe(15);
    expect((await bob.tasks.counts.query()).total).toBe(30);
    // Another project by name: nothing, as for a project that does not exist.
    expect((await cay.tasks.list.query({ project_slug: 'alpha' })).items).toEqual([]);
    expect((await cay.tasks.list.query({ project_slug: 'nowhere' })).items).toEqual([]);
    expect((await cay.tasks.counts.query({ project_slug: 'alpha' })).total).toBe(0);
  });

  it('an admin without a project filter sees every task, in every sort', async () => {
    for (const sort_by of SORTS) {
      const seen = await walk(root, { sort_by, sort_order: 'asc', limit: 9 });
      expect(seen).toEqual(await expected('all', sort_by, 'asc'));
    }
    expect((await root.tasks.counts.query()).total).toBe(45);
    // A project by name, not as a member: an admin sees it.
    expect((await root.tasks.list.query({ project_slug: 'beta', limit: 100 })).items).toHaveLength(
      15,
    );
  });

  it('filters apply within the merge, and offsets still page it', async () => {
    const mine = [projectIds.alpha as number, projectIds.gamma as number];
    const { rows } = await sql<{ id: number }>`select id from tasks
      where project_id = any(${mine}::int[]) and priority = 'high' and title = 'Task 2'
      order by created_at desc, id desc`.execute(h.database.db);
    const filtered = await bob.tasks.list.query({ priority: 'high', q: 'task 2', limit: 100 });
    expect(filtered.items.map((t) => t.id)).toEqual(rows.map((r) => r.id));
    const want = await expected(mine, 'title', 'asc');
    const page = await bob.tasks.list.query({ sort_by: 'title', sort_order: 'asc', offset: 8 });
    expect(page.items.map((t) => t.id)).toEqual(want.slice(8, 8 + page.items.length));
  });

  it('a member of more projects than the merge reads one by one: the same rows, in order', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 52; i++) {
      const project = await erin.projects.create.mutate({ slug: `many-${i}`, name: `Many ${i}` });
      ids.push(project.id);
      await erin.tasks.create.mutate({
        project_slug: project.slug,
        title: `Many ${i % 3}`,
        ...(i % 2 === 0 && { due_date: `2027-03-0${1 + (i % 7)}` }),
      });
    }
    for (const sort_by of ['created_at', 'due_date', 'title'] as const) {
      const seen = await walk(erin, { sort_by, sort_order: 'desc', limit: 10 });
      expect(seen).toEqual(await expected(ids, sort_by, 'desc'));
    }
  });
});
