import { TaskListInput } from '@taskflow/contracts';
import { type DB, type Kysely, sql } from '@taskflow/db';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../src/services/actor';
import { MemberScopes } from '../src/services/task-scope';
import { countTasks, listTasks } from '../src/services/tasks';

/**
 * A member's "all my projects" names the projects it read last time and confirms them in
 * the same statement: one query, and never a project the member has left, whoever changed
 * the membership (here: SQL from outside, which nothing announces).
 */
type Plugin = Parameters<Kysely<DB>['withPlugin']>[0];

/** Enough that a page is a small part of a project, as the planner's choice is in production. */
const PER_PROJECT = 1_000;

describe('member scopes: one query per list, confirmed by the list itself', () => {
  let database: TestDatabase;
  let db: Kysely<DB>;
  let queries = 0;
  const mia: Actor = { id: 'mia', type: 'human', name: 'Mia', role: 'user', is_admin: false };
  const sol: Actor = { ...mia, id: 'sol', name: 'Sol' };
  const project: Record<string, number> = {};

  // Counted as results arrive: one per statement sent, however many builders it embeds.
  const counting: Plugin = {
    transformQuery: ({ node }) => node,
    transformResult: async ({ result }) => {
      queries++;
      return result;
    },
  };

  /** The first page (100) of these projects' tasks, as one SQL query orders them. */
  async function idsOf(projects: string[]): Promise<number[]> {
    const { rows } = await sql<{ id: number }>`select id from tasks
      where project_id = any(${projects.map((p) => project[p])}::int[])
      order by created_at desc, id desc limit 100`.execute(database.db);
    return rows.map((r) => r.id);
  }

  async function member(slug: string, joined: boolean): Promise<void> {
    const id = project[slug];
    await (joined
      ? sql`insert into project_members (project_id, worker_id, role) values (${id}, 'mia', 'member')`
      : sql`delete from project_members where project_id = ${id} and worker_id = 'mia'`
    ).execute(database.db);
  }

  const list = (scopes: MemberScopes, actor = mia) =>
    listTasks(db, actor, TaskListInput.parse({ limit: 100 }), scopes);

  beforeAll(async () => {
    // One connection: every statement of the test prepares on the connection it inspects.
    database = await createTestDatabase({ maxConnections: 1 });
    db = database.db.withPlugin(counting);
    const raw = database.db;
    await sql`insert into workers (id, name) values ('mia', 'Mia'), ('own', 'Owner'), ('sol', 'Sol')`.execute(
      raw,
    );
    for (const slug of ['p1', 'p2', 'p3']) {
      const { rows } = await sql<{ id: number }>`insert into projects (slug, name, owner_id)
        values (${slug}, ${slug}, 'own') returning id`.execute(raw);
      project[slug] = Number(rows[0]?.id);
    }
    await sql`insert into tasks (project_id, title, created_by, created_at)
      select p.id, 'Task ' || g, 'own', now() - g * interval '1 second'
      from projects p cross join generate_series(1, ${PER_PROJECT}) g`.execute(raw);
    // Sol's project is the large one, as the benchmark's.
    await sql`insert into tasks (project_id, title, created_by, created_at)
      select ${project.p3}, 'Task ' || g, 'own', now() - g * interval '1 second'
      from generate_series(1, 9000) g`.execute(raw);
  });
  afterAll(() => database.drop());

  beforeEach(async () => {
    await sql`delete from project_members`.execute(database.db);
    await sql`insert into project_members (project_id, worker_id, role)
      values (${project.p3}, 'sol', 'member')`.execute(database.db);
    await member('p1', true);
    await member('p2', true);
  });

  it('reads a known scope in one query', async () => {
    const scopes = new MemberScopes();
    queries = 0;
    const first = await list(scopes);
    expect(queries).toBe(2);
    queries = 0;
    const second = await list(scopes);
    expect(queries).toBe(1);
    const expected = await idsOf(['p1', 'p2']);
    expect(first.items.map((t) => t.id)).toEqual(expected);
    expect(second.items.map((t) => t.id)).toEqual(expected);
  });

  it('never shows a project left since, nor misses one joined since', async () => {
    const scopes = new MemberScopes();
    await list(scopes);
    await member('p2', false);
    queries = 0;
    const left = await list(scopes);
    // The guess read nothing; the scope was read afresh and the page read again.
    expect(queries).toBe(3);
    expect(left.items.map((t) => t.id)).toEqual(await idsOf(['p1']));
    await member('p3', true);
    const joined = await list(scopes);
    expect(joined.items.map((t) => t.id)).toEqual(await idsOf(['p1', 'p3']));
    queries = 0;
    await list(scopes);
    expect(queries).toBe(1);
  });

  it('shows nothing once the member has left every project', async () => {
    const scopes = new MemberScopes();
    await list(scopes);
    await member('p1', false);
    await member('p2', false);
    const page = await list(scopes);
    expect(page).toEqual({ items: [], next_cursor: null });
  });

  it('counts by the confirmed scope too', async () => {
    const scopes = new MemberScopes();
    await countTasks(db, mia, {}, scopes);
    queries = 0;
    expect((await countTasks(db, mia, {}, scopes)).total).toBe(2 * PER_PROJECT);
    expect(queries).toBe(1);
    await member('p1', false);
    expect((await countTasks(db, mia, {}, scopes)).total).toBe(PER_PROJECT);
    await member('p2', false);
    expect((await countTasks(db, mia, {}, scopes)).total).toBe(0);
  });

  it('keeps a generic plan for a page, so PostgreSQL does not plan each read', async () => {
    // PostgreSQL plans every run of a prepared statement whose generic plan does not win:
    // the merge over a parameter array (whose length only a custom plan knows) did, and in
    // the benchmark so did a page with its LIMIT and OFFSET as parameters. One connection
    // runs these, first never analyzed (a fresh deployment), then analyzed.
    const scopes = new MemberScopes();
    const seen = new Map<string, { generic: number; runs: number }>();
    for (const analyzed of [false, true]) {
      if (analyzed) await sql`analyze`.execute(database.db);
      for (let i = 0; i < 10; i++) {
        await list(scopes); // p1 and p2: a merge
        await listTasks(db, sol, TaskListInput.parse({}), scopes); // p3 alone
        await listTasks(db, mia, TaskListInput.parse({ project_slug: 'p1' }), scopes);
      }
      const { rows } = await sql<{ statement: string; generic: number; runs: number }>`
        select statement, generic_plans::int as generic, (generic_plans + custom_plans)::int as runs
        from pg_prepared_statements
        where statement like '%from projects where projects.id = tasks.project_id%'`.execute(
        database.db,
      );
      const ran = rows.filter((row) => row.runs - (seen.get(row.statement)?.runs ?? 0) >= 8);
      // Assumed after their first read: the merge, and one project; and a project by slug.
      expect(ran.length).toBe(3);
      for (const row of ran) {
        expect(row.generic, row.statement).toBeGreaterThan(seen.get(row.statement)?.generic ?? 0);
      }
      for (const row of rows) seen.set(row.statement, row);
    }
  });
});
