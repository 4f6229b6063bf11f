import { TaskListInput } from '@taskflow/contracts';
import { type DB, type Kysely, sql } from '@taskflow/db';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../src/services/actor';
import { MemberScopes } from '../src/services/task-scope';
import { countTasks, listTasks } from '../src/services/tasks';

/**
 * A list may run several statements (the due_date list's dated run, then its undated run; a
 * filtered list's windows). A remembered scope is confirmed by the first; had each one been
 * confirmed on its own, a membership changed between two of them would have made the later
 * ones read nothing, cutting the page short with next_cursor null though the member belonged
 * to those projects throughout. Here the change lands, deterministically, right after the
 * list's first statement: the page must still be whole.
 */
type Plugin = Parameters<Kysely<DB>['withPlugin']>[0];

describe('member scopes: a membership changed during a list', () => {
  let database: TestDatabase;
  let db: Kysely<DB>;
  /** Runs once, after the next statement of `db` has its result (its connection still held). */
  let afterNext: (() => Promise<void>) | undefined;
  const mia: Actor = { id: 'mia', type: 'human', name: 'Mia', role: 'user', is_admin: false };
  const project: Record<string, number> = {};

  const hook: Plugin = {
    transformQuery: ({ node }) => node,
    transformResult: async ({ result }) => {
      const run = afterNext;
      afterNext = undefined;
      if (run) await run();
      return result;
    },
  };

  function member(slug: string, joined: boolean) {
    const id = project[slug];
    return async () => {
      await (joined
        ? sql`insert into project_members (project_id, worker_id, role) values (${id}, 'mia', 'member')`
        : sql`delete from project_members where project_id = ${id} and worker_id = 'mia'`
      ).execute(database.db);
    };
  }

  /** Ids of these projects' tasks in the list's order, as one SQL query gives it. */
  async function expected(slugs: string[], order: 'created_at' | 'due_date', where = sql`true`) {
    const { rows } = await sql<{ id: number }>`select id from tasks
      where project_id = any(${slugs.map((s) => project[s])}::int[]) and ${where}
      order by ${order === 'due_date' ? sql`due_date asc nulls last` : sql`created_at desc`}, id ${
        order === 'due_date' ? sql`asc` : sql`desc`
      }`.execute(database.db);
    return rows.map((r) => r.id);
  }

  beforeAll(async () => {
    // Room for the hook's own statement while the list's connection is held.
    database = await createTestDatabase({ maxConnections: 3 });
    db = database.db.withPlugin(hook);
    const raw = database.db;
    await sql`insert into workers (id, name) values ('mia', 'Mia'), ('own', 'Owner')`.execute(raw);
    for (const slug of ['p1', 'p2', 'p3']) {
      const { rows } = await sql<{ id: number }>`insert into projects (slug, name, owner_id)
        values (${slug}, ${slug}, 'own') returning id`.execute(raw);
      project[slug] = Number(rows[0]?.id);
    }
    // 300 tasks a project; every third without a due date; 'needle' in 1 of 50 titles.
    await sql`insert into tasks (project_id, title, created_by, created_at, due_date)
      select p.id, case when g % 50 = 0 then 'needle ' || g else 'Task ' || g end, 'own',
        now() - g * interval '1 second',
        case when g % 3 = 0 then null else now() + g * interval '1 hour' end
      from projects p cross join generate_series(1, 300) g`.execute(raw);
  });
  afterAll(() => database.drop());

  beforeEach(async () => {
    afterNext = undefined;
    await sql`delete from project_members`.execute(database.db);
    await member('p1', true)();
    await member('p2', true)();
  });

  it('a due_date list still has its undated run when the member joins a project meanwhile', async () => {
    const scopes = new MemberScopes();
    const input = TaskListInput.parse({ sort_by: 'due_date', sort_order: 'asc', limit: 100 });
    await listTasks(db, mia, input, scopes); // remembers p1, p2
    // Past the dated rows: the next page is the dated run's end and the undated run's start.
    const walk = async () => {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await listTasks(
          db,
          mia,
          TaskListInput.parse({
            sort_by: 'due_date',
            sort_order: 'asc',
            limit: 100,
            ...(cursor && { cursor }),
          }),
          scopes,
        );
        seen.push(...page.items.map((t) => t.id));
        cursor = page.next_cursor;
        // p3 joined after the first statement of the page that crosses into the undated run.
        if (seen.length === 300) afterNext = member('p3', true);
      } while (cursor);
      return seen;
    };
    const seen = await walk();
    const p1p2 = await expected(['p1', 'p2'], 'due_date');
    // Every task of p1 and p2 (a member of both throughout) is in the walk.
    expect(p1p2.filter((id) => !seen.includes(id))).toEqual([]);
  });

  it('a filtered list is not cut short when the member leaves another project meanwhile', async () => {
    const scopes = new MemberScopes();
    const input = TaskListInput.parse({ q: 'needle', limit: 20 });
    await listTasks(db, mia, input, scopes); // remembers p1, p2
    // The first window (200 rows of p1 and p2 by created_at) holds 4 needles; p2 is left
    // after it, and the next windows must still find p1's other needles.
    afterNext = member('p2', false);
    const page = await listTasks(db, mia, input, scopes);
    const p1 = await expected(['p1'], 'created_at', sql`title like 'needle%'`);
    // Whatever of p2 the page shows (a member when the page began), all of p1's needles are there.
    expect(p1.filter((id) => !page.items.some((t) => t.id === id))).toEqual([]);
    expect(page.next_cursor).toBeNull();
  });

  it('a page is not empty when the member leaves and rejoins a project between the guess and the re-read', async () => {
    const scopes = new MemberScopes();
    const input = TaskListInput.parse({ limit: 10 });
    await listTasks(db, mia, input, scopes); // remembers p1, p2
    await member('p2', false)();
    // The guess (p1, p2) reads nothing; p2 is rejoined before the scope is read afresh.
    afterNext = member('p2', true);
    const page = await listTasks(db, mia, input, scopes);
    // Mia belonged to p1 throughout: p1's tasks at least are there.
    expect(page.items.length).toBe(10);
  });

  it('counts are not zero when the member leaves and rejoins a project between the guess and the re-read', async () => {
    const scopes = new MemberScopes();
    await countTasks(db, mia, {}, scopes);
    await member('p2', false)();
    afterNext = member('p2', true);
    const counts = await countTasks(db, mia, {}, scopes);
    expect(counts.total).toBeGreaterThanOrEqual(300);
  });
});
