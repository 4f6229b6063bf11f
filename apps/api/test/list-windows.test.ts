import type { TaskSortField } from '@taskflow/contracts';
import { sql } from '@taskflow/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from './helpers/harness';
import { SORT_COLUMNS } from './helpers/sort-columns';

type ListInput = NonNullable<Parameters<Client['tasks']['list']['query']>[0]>;

/**
 * A filtered list reads its project in order, in windows, and falls back to the filter's
 * own index once the windows show the filter rare. Either way, walked by cursor, it gives
 * exactly what one SQL query gives: common and rare filters, ties, both due_date runs.
 */
describe('tasks.list with filters over a large project', () => {
  let h: Harness;
  let ann: Client;
  let bob: Client;
  let projectId: number;

  beforeAll(async () => {
    h = await startHarness();
    ann = await h.as('ann');
    bob = await h.as('bob');
    await bob.workers.me.query();
    projectId = (await ann.projects.create.mutate({ slug: 'big', name: 'Big' })).id;
    await ann.projects.addMember.mutate({ slug: 'big', worker_id: 'bob' });
    await ann.tasks.create.mutate({ title: 'Elsewhere', tags: ['t7'] });
    // 3,000 tasks: more than the windows read before falling back. Equal creation times
    // (50 distinct), every fourth without a due date, every 97th assigned to bob.
    await sql`insert into tasks (project_id, title, status, priority, tags, due_date, assigned_to,
        created_by, created_at, updated_at)
      select ${projectId}, 'Task ' || (g % 13), case when g % 3 = 0 then 'completed' else 'pending' end,
        (array['low','medium','high','critical'])[1 + g % 4],
        case when g % 7 = 0 then array['t7'] else array[]::text[] end,
        case when g % 4 <> 0 then '2027-01-01'::timestamptz + (g % 40) * interval '1 day' end,
        case when g % 97 = 0 then 'bob' end, 'ann',
        '2026-01-01'::timestamptz + (g % 50) * interval '1 minute', now()
      from generate_series(1, 3000) g`.execute(h.database.db);
  });
  afterAll(() => h.stop());

  const CASES: { name: string; input: ListInput; where: ReturnType<typeof sql> }[] = [
    { name: 'a rare assignee', input: { assigned_to: 'bob' }, where: sql`assigned_to = 'bob'` },
    { name: 'a tag on one in seven', input: { tag: 't7' }, where: sql`tags @> array['t7']` },
    {
      name: 'status and title search together',
      input: { status: 'completed', q: 'task 1' },
      where: sql`status = 'completed' and title ilike '%task 1%'`,
    },
    { name: 'no due date', input: { has_due_date: false }, where: sql`due_date is null` },
    {
      name: 'a title no task has',
      input: { q: 'nothing like it' },
      where: sql`title ilike '%nothing like it%'`,
    },
  ];
  const SORTS: [TaskSortField, 'asc' | 'desc'][] = [
    ['created_at', 'desc'],
    ['due_date', 'asc'],
    ['due_date', 'desc'],
    ['title', 'asc'],
  ];

  for (const { name, input, where } of CASES) {
    for (const [sort_by, sort_order] of SORTS) {
      it(`${name}, by ${sort_by} ${sort_order}: every match once, in order`, async () => {
        const dir = sql.raw(sort_order);
        const { rows } = await sql<{ id: number }>`select id from tasks
          where project_id = ${projectId} and ${where}
          order by ${sql.ref(SORT_COLUMNS[sort_by])} ${dir} nulls last, id ${dir}`.execute(
          h.database.db,
        );
        const seen: number[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await bob.tasks.list.query({
            ...input,
            project_slug: 'big',
            sort_by,
            sort_order,
            limit: 40,
            ...(cursor && { cursor }),
          });
          seen.push(...page.items.map((t) => t.id));
          cursor = page.next_cursor ?? undefined;
          pages++;
        } while (cursor && pages < 100);
        expect(seen).toEqual(rows.map((r) => r.id));
      });
    }
  }

  it('across projects too: the merge applies the filter per project', async () => {
    const { rows } = await sql<{ id: number }>`select id from tasks where tags @> array['t7']
      order by created_at desc, id desc`.execute(h.database.db);
    const own = await ann.tasks.list.query({ tag: 't7', limit: 100 });
    expect(own.items.map((t) => t.id)).toEqual(rows.slice(0, 100).map((r) => r.id));
  });
});
