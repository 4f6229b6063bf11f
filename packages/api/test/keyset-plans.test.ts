import { TaskSortField } from '@taskflow/contracts';
import { type DB, type Kysely, sql } from '@taskflow/db';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../src/services/actor';
import { listTaskAudit } from '../src/services/audit';
import { listProjects } from '../src/services/projects';
import { listTasks } from '../src/services/tasks';
import { listWorkers } from '../src/services/workers';

/**
 * Every keyset query is an index range scan (no sort of the whole list), checked with
 * EXPLAIN on the SQL the services really send, over 50,000 tasks.
 */
type Plugin = Parameters<Kysely<DB>['withPlugin']>[0];
interface Captured {
  sql: string;
  parameters: readonly unknown[];
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Parent Relationship'?: string;
  'Actual Total Time'?: number;
  Plans?: PlanNode[];
}

/** The plan's nodes, leaving out per-row subplans (a task's dependency ids), which sort only that row's few. */
function nodes(plan: PlanNode): PlanNode[] {
  return [
    plan,
    ...(plan.Plans ?? []).filter((p) => p['Parent Relationship'] !== 'SubPlan').flatMap(nodes),
  ];
}

describe('keyset query plans on 50k tasks', () => {
  let database: TestDatabase;
  let db: Kysely<DB>;
  const captured: Captured[] = [];
  const owner: Actor = { id: 'owner', type: 'human', name: 'Owner', role: 'user', is_admin: false };
  let taskId = 0;

  beforeAll(async () => {
    database = await createTestDatabase({ maxConnections: 4 });
    const raw = database.db;
    await sql`insert into workers (id, name) select 'owner', 'Owner' union all
      select 'w' || g, 'Worker ' || (g % 50) from generate_series(1, 3000) g`.execute(raw);
    await sql`insert into projects (slug, name, owner_id)
      select 'p' || g, 'Project ' || (g % 7), 'owner' from generate_series(1, 6000) g`.execute(raw);
    await sql`insert into project_members (project_id, worker_id, role)
      select id, 'owner', 'owner' from projects`.execute(raw);
    await sql`insert into tasks (project_id, title, priority, due_date, created_by, created_at, updated_at)
      select 1 + (g % 4), 'Task ' || (g % 997), (array['low','medium','high','critical'])[1 + g % 4],
        case when g % 3 = 0 then null else timestamptz '2027-01-01' + (g % 500) * interval '1 hour' end,
        'owner', now() - g * interval '1 second', now() - (g % 1000) * interval '1 minute'
      from generate_series(1, 50000) g`.execute(raw);
    taskId = Number(
      (await sql<{ id: number }>`select min(id) as id from tasks`.execute(raw)).rows[0]?.id,
    );
    await sql`insert into audit_log (task_id, project_slug, actor_id, actor_type, action, context)
      select ${taskId}, 'p1', 'owner', 'human', 'progress_updated', '{}'::jsonb
      from generate_series(1, 20000)`.execute(raw);
    await sql`analyze`.execute(raw);
    const executor = raw.getExecutor();
    const capture: Plugin = {
      transformQuery: (args) => {
        captured.push(executor.compileQuery(args.node, args.queryId));
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    db = raw.withPlugin(capture);
  }, 120_000);
  afterAll(() => database?.drop());

  /** EXPLAIN ANALYZE of the last query a call sent (the page itself). */
  async function planOfLast(call: () => Promise<unknown>): Promise<PlanNode> {
    captured.length = 0;
    await call();
    const last = captured.at(-1);
    if (!last) throw new Error('no query captured');
    const { rows } = await sql<{ 'QUERY PLAN': { Plan: PlanNode }[] }>`${sql.raw(
      `explain (analyze, format json) ${last.sql}`.replace(/\$(\d+)/g, (_, n) =>
        literal(last.parameters[Number(n) - 1]),
      ),
    )}`.execute(database.db);
    const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
    if (!plan) throw new Error('no plan');
    return plan;
  }

  /** Deep into the list: 200 pages of 50 by cursor. */
  async function cursorAtPage<T extends { next_cursor: string | null }>(
    page: (cursor: string | undefined) => Promise<T>,
    n: number,
  ): Promise<string> {
    let cursor: string | undefined;
    for (let i = 0; i < n; i++) cursor = (await page(cursor)).next_cursor ?? undefined;
    if (!cursor) throw new Error('list ended early');
    return cursor;
  }

  const expectIndexed = (plan: PlanNode, index: RegExp) => {
    const all = nodes(plan);
    expect(all.map((n) => n['Node Type'])).not.toContain('Sort');
    expect(all.map((n) => `${n['Node Type']} ${n['Index Name'] ?? ''}`).join('; ')).toMatch(index);
  };

  const timings: string[] = [];
  afterAll(() => console.log(`keyset plan timings (ms, EXPLAIN ANALYZE):\n${timings.join('\n')}`));

  for (const sort_by of TaskSortField.options) {
    for (const sort_order of ['asc', 'desc'] as const) {
      it(`tasks by ${sort_by} ${sort_order}: index scan, page 200 as cheap as page 1`, async () => {
        const input = (cursor?: string) => ({
          project_slug: 'p1',
          sort_by,
          sort_order,
          limit: 50,
          offset: 0,
          ...(cursor && { cursor }),
        });
        const first = await planOfLast(() => listTasks(db, owner, input()));
        const deep = await cursorAtPage((c) => listTasks(db, owner, input(c)), 200);
        const later = await planOfLast(() => listTasks(db, owner, input(deep)));
        const index = sort_by === 'priority' ? /priority/ : new RegExp(sort_by.split('_')[0] ?? '');
        expectIndexed(first, index);
        // Page 201 of due_date is in the undated run: by id, on an index of the undated rows.
        expectIndexed(later, sort_by === 'due_date' ? /undated/ : index);
        timings.push(
          `tasks ${sort_by} ${sort_order}: page 1 ${first['Actual Total Time']}, page 201 ${later['Actual Total Time']}`,
        );
      });
    }
  }

  it('audit, projects and workers: index scans', async () => {
    const audit = (cursor?: string) =>
      listTaskAudit(db, owner, {
        task_id: taskId,
        limit: 50,
        offset: 0,
        ...(cursor && { cursor }),
      });
    const auditDeep = await planOfLast(async () => audit(await cursorAtPage(audit, 200)));
    expectIndexed(auditDeep, /audit_log_(task|pkey)/);
    const admin: Actor = { ...owner, id: 'owner', is_admin: true };
    const workers = (cursor?: string) =>
      listWorkers(db, admin, { limit: 50, offset: 0, ...(cursor && { cursor }) });
    const workersDeep = await planOfLast(async () => workers(await cursorAtPage(workers, 40)));
    expectIndexed(workersDeep, /workers_name/);
    const projects = (cursor?: string) =>
      listProjects(db, owner, { limit: 50, offset: 0, ...(cursor && { cursor }) });
    const projectsDeep = await planOfLast(async () => projects(await cursorAtPage(projects, 100)));
    expectIndexed(projectsDeep, /projects_name/);
    timings.push(
      `audit page 201 ${auditDeep['Actual Total Time']}, workers page 41 ${workersDeep['Actual Total Time']}, projects page 101 ${projectsDeep['Actual Total Time']}`,
    );
  });
});

/** A bound parameter as an SQL literal, so EXPLAIN sees the statement the service sent. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return `'${value.toISOString()}'`;
  if (Array.isArray(value)) return `array[${value.map(literal).join(',')}]`;
  return `'${String(value).replaceAll("'", "''")}'`;
}
