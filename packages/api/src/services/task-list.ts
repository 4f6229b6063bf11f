import type { Page, Task, TaskCounts, TaskListInput } from '@taskflow/contracts';
import {
  type DB,
  type Expression,
  type Kysely,
  type SqlBool,
  sql,
  type TaskRow,
} from '@taskflow/db';
import type { z } from 'zod';
import type { Actor } from './actor';
import { decodeCursor, encodeCursor, pageOf, refuseCursorWithOffset } from './cursor';
import { dependencyIds } from './dependency-sql';
import { toTask } from './rows';
import { type TaskFilters, taskFilter } from './task-filters';
import { resolveTaskScope, type TaskScope } from './task-scope';

type ListInput = z.output<typeof TaskListInput>;
type SortBy = ListInput['sort_by'];
type Direction = ListInput['sort_order'];

const SORT_COLUMNS = {
  created_at: 'tasks.created_at',
  updated_at: 'tasks.updated_at',
  due_date: 'tasks.due_date',
  priority: 'tasks.priority_rank',
  title: 'tasks.title',
} as const;

/** How each sort column's printed value is read back, so a cursor compares exactly. */
const SORT_CASTS = {
  created_at: sql`timestamptz`,
  updated_at: sql`timestamptz`,
  due_date: sql`timestamptz`,
  priority: sql`smallint`,
  title: sql`text`,
} as const;

/**
 * Up to this many projects, "all my projects" reads each project's first rows by its
 * (project_id, sort column, id) index and merges them: each part is a short ordered index
 * range, however large the other projects are. Past it, one query over project_id = any(...).
 */
const MERGE_LIMIT = 50;

/** One run of a list: its extra conditions and its order (the sort column, then id). */
interface Run {
  where: Expression<SqlBool>[];
  /** The order by the sort column first; false for a run ordered by id alone. */
  byColumn: boolean;
  /** For the offset fallback: due_date with its nulls last in either direction. */
  nullsLast: boolean;
}

/**
 * One page of tasks, by offset or by keyset cursor (sort value, id). Rows with no due
 * date come last in either direction: for due_date the list is read in two runs, the
 * dated rows then the undated ones by id, each served by a (project_id, due_date, id) index.
 */
export async function listTasks(
  db: Kysely<DB>,
  actor: Actor,
  input: ListInput,
): Promise<Page<Task>> {
  refuseCursorWithOffset(input);
  const { limit, offset, cursor, ...filters } = input;
  const after =
    cursor == null
      ? undefined
      : decodeCursor('tasks', filters, cursor, {
          id: 'int',
          value: input.sort_by === 'due_date' ? 'nullable' : 'text',
        });
  const scope = await resolveTaskScope(db, actor, filters.project_slug);
  if (scope.kind === 'projects' && scope.ids.length === 0) return { items: [], next_cursor: null };

  const { sort_by: sortBy, sort_order: direction } = input;
  const column = SORT_COLUMNS[sortBy];
  const cmp = direction === 'asc' ? sql`>` : sql`<`;
  const take = limit + 1;
  const read = (run: Run, n: number, skip = 0) =>
    readRun(db, actor, scope, filters, sortBy, direction, run, n, skip);

  // The offset fallback: one run, nulls last either way, id breaking ties.
  if (offset > 0) {
    const rows = await read(
      { where: [], byColumn: true, nullsLast: sortBy === 'due_date' },
      take,
      offset,
    );
    return pageOf(rows, limit, ({ sort_key, ...row }) => toTask(row), cursorAt);
  }

  // The run of rows whose sort value is set: (column, id) past the cursor.
  const valued = (n: number) => {
    const where: Expression<SqlBool>[] = [];
    if (sortBy === 'due_date') where.push(sql<SqlBool>`tasks.due_date is not null`);
    if (after && after.v !== null) {
      where.push(
        sql<SqlBool>`(${sql.ref(column)}, tasks.id) ${cmp} (${after.v}::${SORT_CASTS[sortBy]}, ${after.i}::int)`,
      );
    }
    return read({ where, byColumn: true, nullsLast: false }, n);
  };
  // The run of undated rows (due_date only), by id.
  const undated = (n: number) => {
    const where: Expression<SqlBool>[] = [sql<SqlBool>`tasks.due_date is null`];
    if (after && after.v === null) where.push(sql<SqlBool>`tasks.id ${cmp} ${after.i}::int`);
    return read({ where, byColumn: false, nullsLast: false }, n);
  };

  let rows: Awaited<ReturnType<typeof valued>>;
  if (sortBy !== 'due_date') {
    rows = await valued(take);
  } else if (after && after.v === null) {
    rows = await undated(take);
  } else {
    rows = await valued(take);
    if (rows.length < take) rows = rows.concat(await undated(take - rows.length));
  }
  return pageOf(rows, limit, ({ sort_key, ...row }) => toTask(row), cursorAt);

  function cursorAt(row: { sort_key: string | null; id: number }): string {
    return encodeCursor('tasks', filters, { v: row.sort_key, i: row.id });
  }
}

type ListRow = TaskRow & {
  project_slug: string;
  blocked_by: number[];
  blocks: number[];
  waiting_for: number[];
  sort_key: string | null;
};

/**
 * The first `n` rows (after `skip`) of one run, as two levels: the inner query reads the
 * tasks of the scope in the run's order and stops at n + skip rows, once per project when
 * "all my projects" merges (a LATERAL over the project ids); the outer one merges, takes
 * the page and only then joins the project's slug and reads the dependency edges.
 */
async function readRun(
  db: Kysely<DB>,
  actor: Actor,
  scope: TaskScope,
  filters: Omit<ListInput, 'limit' | 'offset' | 'cursor'>,
  sortBy: SortBy,
  direction: Direction,
  run: Run,
  n: number,
  skip: number,
): Promise<ListRow[]> {
  const { status, sort_by, sort_order, project_slug, ...filterInput } = filters;
  const column = sql.ref(SORT_COLUMNS[sortBy]);
  const dir = direction === 'asc' ? sql`asc` : sql`desc`;
  const order = run.byColumn
    ? sql`${column} ${dir}${run.nullsLast ? sql` nulls last` : sql``}, tasks.id ${dir}`
    : sql`tasks.id ${dir}`;
  const merge =
    scope.kind === 'projects' && scope.ids.length > 1 && scope.ids.length <= MERGE_LIMIT;

  let inner = db.selectFrom('tasks').selectAll('tasks').where(taskFilter(actor, filterInput));
  if (status) inner = inner.where('tasks.status', '=', status);
  for (const condition of run.where) inner = inner.where(condition);
  if (scope.kind === 'projects')
    inner = inner.where(
      merge ? sql<SqlBool>`tasks.project_id = scope.project_id` : inProjects(scope.ids),
    );
  const ordered = inner.orderBy(order).limit(n + skip);

  const from = merge
    ? sql`(select unnest(${scope.ids}::int[]) as project_id) as scope cross join lateral ${ordered} as tasks`
    : sql`${ordered} as tasks`;
  const [blockedBy, blocks, waitingFor] = dependencyIds();
  const { rows } = await sql<ListRow>`
    select tasks.*, projects.slug as project_slug, ${blockedBy}, ${blocks}, ${waitingFor},
      ${column}::text as sort_key
    from ${from} join projects on projects.id = tasks.project_id
    order by ${order} limit ${n} offset ${skip}`.execute(db);
  return rows;
}

/**
 * The scope's projects by id: one is `project_id = $1`, so the planner reads its
 * (project_id, ...) indexes with that project's own statistics, or none.
 */
function inProjects(ids: number[]) {
  const [only] = ids;
  return ids.length === 1 && only !== undefined
    ? sql<SqlBool>`tasks.project_id = ${only}`
    : sql<SqlBool>`tasks.project_id = any(${ids}::int[])`;
}

/** How many visible tasks the filters select, per status: what a board column's count shows. */
export async function countTasks(
  db: Kysely<DB>,
  actor: Actor,
  filters: TaskFilters,
): Promise<TaskCounts> {
  const counts: TaskCounts = {
    pending: 0,
    in_progress: 0,
    review: 0,
    completed: 0,
    blocked: 0,
    total: 0,
  };
  const scope = await resolveTaskScope(db, actor, filters.project_slug);
  if (scope.kind === 'projects' && scope.ids.length === 0) return counts;
  const { project_slug, ...filterInput } = filters;
  let query = db
    .selectFrom('tasks')
    .where(taskFilter(actor, filterInput))
    .select(['tasks.status', (eb) => eb.fn.countAll<string>().as('n')])
    .groupBy('tasks.status');
  if (scope.kind === 'projects') query = query.where(inProjects(scope.ids));
  for (const row of await query.execute()) {
    counts[row.status] = Number(row.n);
    counts.total += Number(row.n);
  }
  return counts;
}
