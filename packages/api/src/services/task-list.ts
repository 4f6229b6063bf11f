import type { Page, Task, TaskCounts, TaskListInput } from '@taskflow/contracts';
import {
  type DB,
  type Expression,
  type ExpressionBuilder,
  type ExpressionWrapper,
  expressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
  type TaskRow,
} from '@taskflow/db';
import type { z } from 'zod';
import type { Actor } from './actor';
import {
  decodeCursor,
  encodeCursor,
  INT4_MAX,
  type Position,
  PRINTED_SMALLINT,
  PRINTED_TIMESTAMP,
  pageOf,
  refuseCursorWithOffset,
} from './cursor';
import { dependencyIds } from './dependency-sql';
import { type LIMIT_SIZES, rowLimit } from './page-range';
import { toTask } from './rows';
import { type TaskFilters, taskFilter } from './task-filters';
import { type MemberScopes, readScoped, scopeConfirmed, type TaskScope } from './task-scope';

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

/** What each sort column's printed value looks like: a cursor holding anything else is refused. */
const SORT_PRINTED = {
  created_at: PRINTED_TIMESTAMP,
  updated_at: PRINTED_TIMESTAMP,
  due_date: PRINTED_TIMESTAMP,
  priority: PRINTED_SMALLINT,
  title: undefined,
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
 * Past this many rows of a filtered list's order, a filter is rare enough that reading its
 * matches by the filter's own index (then sorting them) is the faster plan; before it, the
 * list is read in order (the project's (project_id, sort column, id) index) in windows of
 * WINDOW_ROWS, the filter applied to each window's rows. Both choices are made here, not by
 * the planner: without statistics it takes every filter for rare (0.5% of the rows) and sorts
 * all of a common filter's matches, 200 to 500 ms at 500,000 tasks in a project. A window
 * stays small because the planner reads it in order only while it takes the window for a
 * small part of what the project and the cursor select: it guesses about 1,000 rows for
 * them without statistics, and sorts instead when the window nears that.
 */
const WINDOW_ROWS = 200 satisfies (typeof LIMIT_SIZES)[number];
const WINDOWS = 5;

interface ListContext {
  db: Kysely<DB>;
  scope: TaskScope;
  /** For an assumed scope, its confirmation: on every query that reads the scope's rows. */
  confirmed: Expression<SqlBool> | null;
  sortBy: SortBy;
  direction: Direction;
  /** Every filter of the list (status included), or none. */
  filter: ((eb: ExpressionBuilder<DB, 'tasks'>) => ExpressionWrapper<DB, 'tasks', SqlBool>) | null;
  /**
   * Whether the filter has an index of its own that finds its few matches (assignee, parent,
   * tag, title search): once the windows have shown it rare, the rest is read by that index.
   */
  ownIndex: boolean;
}

/** Which run of the list: rows with a sort value, or (due_date only) the undated ones. */
type RunKind = 'valued' | 'undated';

/**
 * One page of tasks, by offset or by keyset cursor (sort value, id). Rows with no due
 * date come last in either direction: for due_date the list is read in two runs, the
 * dated rows then the undated ones by id, each served by a (project_id, due_date, id) index.
 */
export async function listTasks(
  db: Kysely<DB>,
  actor: Actor,
  input: ListInput,
  scopes?: MemberScopes,
): Promise<Page<Task>> {
  refuseCursorWithOffset(input);
  const { limit, offset, cursor, ...filters } = input;
  const after =
    cursor == null
      ? undefined
      : decodeCursor('tasks', filters, cursor, {
          id: 'int',
          value: input.sort_by === 'due_date' ? 'nullable' : 'text',
          printed: SORT_PRINTED[input.sort_by],
        });
  const { status, sort_by, sort_order, project_slug, ...filterInput } = filters;
  const filtered = status !== undefined || Object.values(filterInput).some((v) => v !== undefined);
  const filter: ListContext['filter'] = filtered
    ? (eb) =>
        eb.and([
          taskFilter(actor, filterInput)(eb),
          ...(status ? [eb('tasks.status', '=', status)] : []),
        ])
    : null;
  const ownIndex =
    filterInput.assigned_to !== undefined ||
    (filterInput.parent_id !== undefined && filterInput.parent_id !== 0) ||
    filterInput.tag !== undefined ||
    filterInput.q !== undefined;
  const take = limit + 1;
  const cursorAt = (row: { sort_key: string | null; id: number }): string =>
    encodeCursor('tasks', filters, { v: row.sort_key, i: row.id });

  const readPage = async (scope: TaskScope): Promise<Page<Task>> => {
    if (scope.kind === 'projects' && scope.ids.length === 0)
      return { items: [], next_cursor: null };
    const ctx: ListContext = {
      db,
      scope,
      confirmed: scopeConfirmed(scope),
      sortBy: sort_by,
      direction: sort_order,
      filter,
      ownIndex,
    };
    // The offset fallback: one query, nulls last either way, id breaking ties.
    if (offset > 0) {
      const rows = await readRows(
        ctx,
        { where: [], byColumn: true, nullsLast: sort_by === 'due_date' },
        take,
        offset,
      );
      return pageOf(rows, limit, toTask, cursorAt);
    }
    let rows: ListRow[];
    if (sort_by !== 'due_date') {
      rows = await readRun(ctx, 'valued', after, take);
    } else if (after && after.v === null) {
      rows = await readRun(ctx, 'undated', after, take);
    } else {
      rows = await readRun(ctx, 'valued', after, take);
      if (rows.length < take)
        rows = rows.concat(await readRun(ctx, 'undated', undefined, take - rows.length));
    }
    return pageOf(rows, limit, toTask, cursorAt);
  };
  const readOrGiveUp = (scope: TaskScope) =>
    readPage(scope).catch((error: unknown) => {
      if (error instanceof Unconfirmed) return { items: [], next_cursor: null };
      throw error;
    });
  return readScoped(
    db,
    actor,
    project_slug,
    scopes,
    readOrGiveUp,
    (page) => page.items.length === 0,
  );
}

/** A run's conditions past a position: (column, id) for the valued run, id for the undated. */
function runPast(ctx: ListContext, kind: RunKind, after: Position | undefined): Run {
  const cmp = ctx.direction === 'asc' ? sql`>` : sql`<`;
  if (kind === 'undated') {
    // From the start, a bound every id passes: as an index condition it makes the planner
    // read tasks_project_undated in order; without it and without statistics, it sorted
    // the whole undated run (200,000 rows, 350 ms) for the first page of it.
    const from = after ? after.i : ctx.direction === 'asc' ? 0 : INT4_MAX;
    return {
      where: [sql<SqlBool>`tasks.due_date is null`, sql<SqlBool>`tasks.id ${cmp} ${from}::int`],
      byColumn: false,
      nullsLast: false,
    };
  }
  const where: Expression<SqlBool>[] = [];
  if (ctx.sortBy === 'due_date') where.push(sql<SqlBool>`tasks.due_date is not null`);
  if (after && after.v !== null) {
    where.push(
      sql<SqlBool>`(${sql.ref(SORT_COLUMNS[ctx.sortBy])}, tasks.id) ${cmp} (${after.v}::${SORT_CASTS[ctx.sortBy]}, ${after.i}::int)`,
    );
  }
  return { where, byColumn: true, nullsLast: false };
}

/**
 * The first `n` rows of a run past `after`. Unfiltered: one ordered read. Filtered: up to
 * WINDOWS windows of the run's order, each WINDOW_ROWS rows past the last, keeping the rows
 * the filter selects; when they have not found `n`, the filter is rare and the rest of the
 * run is one query by the filter (the planner's choice of index), past the last window.
 */
async function readRun(
  ctx: ListContext,
  kind: RunKind,
  after: Position | undefined,
  n: number,
): Promise<ListRow[]> {
  if (!ctx.filter) return readRows(ctx, runPast(ctx, kind, after), n, 0);
  const hits: number[] = [];
  let edge = after;
  for (let round = 0; round < WINDOWS; round++) {
    const window = await readWindow(ctx, runPast(ctx, kind, edge));
    for (const row of window) if (row.hit && hits.length < n) hits.push(row.id);
    const last = window.at(-1);
    if (hits.length >= n || window.length < WINDOW_ROWS || !last) return readByIds(ctx, hits);
    edge = { v: last.sort_key, i: last.id };
  }
  const found = await readByIds(ctx, hits);
  return found.concat(
    await readRows(ctx, runPast(ctx, kind, edge), n - hits.length, 0, ctx.ownIndex),
  );
}

type ListRow = TaskRow & {
  project_slug: string;
  blocked_by: number[];
  blocks: number[];
  waiting_for: number[];
  sort_key: string | null;
};

/**
 * The tasks of the scope, past the run's position, in the run's order, at most `n` (after
 * `skip`); per project when "all my projects" merges (a LATERAL over the project ids: each
 * project's first rows by its own index). `inner` picks what the inner query reads.
 * `byFilterIndex`: the projects' ids as an expression no index serves (project_id + 0), so
 * the filter's own index is the only way in; without it, the planner (without statistics)
 * ANDs in a bitmap of the whole project, 30 ms at 500,000 tasks, to find a handful of rows.
 */
function scopedRows(
  ctx: ListContext,
  run: Run,
  n: number,
  inner: (q: SelectQueryBuilder<DB, 'tasks', object>) => SelectQueryBuilder<DB, 'tasks', object>,
  byFilterIndex = false,
) {
  const { scope } = ctx;
  const merge =
    !byFilterIndex &&
    scope.kind === 'projects' &&
    scope.ids.length > 1 &&
    scope.ids.length <= MERGE_LIMIT;
  let query = inner(ctx.db.selectFrom('tasks'));
  for (const condition of run.where) query = query.where(condition);
  if (scope.kind === 'projects')
    query = query.where(
      merge
        ? sql<SqlBool>`tasks.project_id = scope.project_id`
        : byFilterIndex
          ? sql<SqlBool>`tasks.project_id + 0 = any(${scope.ids}::int[])`
          : inProjects(scope.ids),
    );
  const ordered = query.orderBy(orderOf(ctx, run)).limit(rowLimit(n));
  return merge
    ? sql`${mergeSource(scope)} as scope cross join lateral ${ordered} as tasks`
    : sql`${ordered} as tasks`;
}

/**
 * The projects a merge reads, one row each. An assumed scope reads them from the
 * memberships (which its confirmation has found equal to the ids): PostgreSQL estimates a
 * parameter array's length only when planning for its value, so by the array it would
 * plan every run, its generic plan never winning.
 */
function mergeSource(scope: TaskScope & { kind: 'projects' }) {
  return scope.assumedFor === undefined
    ? sql`(select unnest(${scope.ids}::int[]) as project_id)`
    : sql`(select pm.project_id from project_members pm where pm.worker_id = ${scope.assumedFor})`;
}

function orderOf(ctx: ListContext, run: Run) {
  const dir = ctx.direction === 'asc' ? sql`asc` : sql`desc`;
  return run.byColumn
    ? sql`${sql.ref(SORT_COLUMNS[ctx.sortBy])} ${dir}${run.nullsLast ? sql` nulls last` : sql``}, tasks.id ${dir}`
    : sql`tasks.id ${dir}`;
}

/** What the page shows of a task: the row, its project's slug, its edges, its sort key. */
function pageColumns(ctx: ListContext) {
  const [blockedBy, blocks, waitingFor] = dependencyIds();
  // The slug by a lookup per row (the primary key), not a join: without statistics the
  // planner joined a materialized scan of all projects to the page, 20,000 comparisons.
  return sql`tasks.*,
    (select projects.slug from projects where projects.id = tasks.project_id) as project_slug,
    ${blockedBy}, ${blocks}, ${waitingFor},
    ${sql.ref(SORT_COLUMNS[ctx.sortBy])}::text as sort_key`;
}

/**
 * Rows of a run with the filter in the WHERE: unfiltered lists, a rare filter's rest,
 * and offsets. The slug and the edges are read after the merge, for the page's rows only.
 */
async function readRows(
  ctx: ListContext,
  run: Run,
  n: number,
  skip: number,
  byFilterIndex = false,
): Promise<ListRow[]> {
  const { filter } = ctx;
  const from = scopedRows(
    ctx,
    run,
    n + skip,
    (q) => {
      const all = q.selectAll('tasks');
      return filter ? all.where(filter) : all;
    },
    byFilterIndex,
  );
  // As pageRange: a literal LIMIT, an OFFSET (a parameter) only when there is one.
  const { rows } = await sql<ListRow>`
    select ${pageColumns(ctx)}
    from ${from}${whereConfirmed(ctx)}
    order by ${orderOf(ctx, run)} limit ${rowLimit(n)}${skip ? sql` offset ${skip}` : sql``}`.execute(
    ctx.db,
  );
  settle(ctx, rows.length);
  return rows.length > n ? rows.slice(0, n) : rows;
}

class Unconfirmed extends Error {}

/** Rows read under an assumed scope confirm it: the list's later statements read the ids as resolved. */
function settle(ctx: ListContext, rows: number) {
  if (!ctx.confirmed || ctx.scope.kind !== 'projects') return;
  // Nothing read: the guess may be wrong, and a later statement must not confirm a guess
  // that failed here. The read is given up as empty; readScoped resolves and reads again.
  if (!rows) throw new Unconfirmed();
  ctx.scope = { kind: 'projects', ids: ctx.scope.ids };
  ctx.confirmed = null;
}

/**
 * One window of the run's order: each row's position and whether the filter selects it.
 * The filter is evaluated over the window's rows, after its LIMIT: in the inner query the
 * planner would cost `ready`'s NOT EXISTS for every row of the project and hash all the
 * unfinished dependencies of the database (90 ms) instead of probing 200 rows.
 */
async function readWindow(
  ctx: ListContext,
  run: Run,
): Promise<{ id: number; sort_key: string | null; hit: boolean }[]> {
  const { filter } = ctx;
  const hit = filter ? filter(expressionBuilder<DB, 'tasks'>()) : sql<SqlBool>`true`;
  const from = scopedRows(ctx, run, WINDOW_ROWS, (q) => q.selectAll('tasks'));
  const { rows } = await sql<{ id: number; sort_key: string | null; hit: boolean }>`
    select tasks.id, ${hit} as hit, ${sql.ref(SORT_COLUMNS[ctx.sortBy])}::text as sort_key
    from ${from}${whereConfirmed(ctx)} order by ${orderOf(ctx, run)} limit ${rowLimit(WINDOW_ROWS)}`.execute(
    ctx.db,
  );
  settle(ctx, rows.length);
  return rows;
}

/** An assumed scope's confirmation, as the outer query's WHERE (a one-time filter). */
function whereConfirmed(ctx: ListContext) {
  return ctx.confirmed ? sql` where ${ctx.confirmed}` : sql``;
}

/** The page's rows by id, in the order of `ids` (a confirmed window's: no confirmation). */
async function readByIds(ctx: ListContext, ids: number[]): Promise<ListRow[]> {
  if (!ids.length) return [];
  const { rows } = await sql<ListRow>`
    select ${pageColumns(ctx)}
    from tasks
    where tasks.id = any(${ids}::int[])`.execute(ctx.db);
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => byId.get(id) ?? []);
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
  scopes?: MemberScopes,
): Promise<TaskCounts> {
  const { project_slug, ...filterInput } = filters;
  const count = async (scope: TaskScope): Promise<TaskCounts> => {
    const counts: TaskCounts = {
      pending: 0,
      in_progress: 0,
      review: 0,
      completed: 0,
      blocked: 0,
      total: 0,
    };
    if (scope.kind === 'projects' && scope.ids.length === 0) return counts;
    let query = db
      .selectFrom('tasks')
      .where(taskFilter(actor, filterInput))
      .select(['tasks.status', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('tasks.status');
    if (scope.kind === 'projects') query = query.where(inProjects(scope.ids));
    const confirmed = scopeConfirmed(scope);
    if (confirmed) query = query.where(confirmed);
    for (const row of await query.execute()) {
      counts[row.status] = Number(row.n);
      counts.total += Number(row.n);
    }
    return counts;
  };
  return readScoped(db, actor, project_slug, scopes, count, (counts) => counts.total === 0);
}
