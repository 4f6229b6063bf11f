import type {
  AuditAction,
  Task,
  TaskAssignInput,
  TaskCreateInput,
  TaskDeleteInput,
  TaskUpdateInput,
} from '@taskflow/contracts';
import {
  type AuditContext,
  type DB,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  preparedQuery,
  type SqlBool,
  sql,
  type TaskPatch,
  type TaskRow,
  type TaskUpdate,
  type Transaction,
  withAudit,
} from '@taskflow/db';
import type { TRPCError } from '@trpc/server';
import type { z } from 'zod';
import { conflict, forbidden, stale, unprocessable } from '../errors';
import {
  isProjectMember,
  lockVisibleTask,
  requireVisibleProject,
  requireVisibleTask,
} from './access';
import type { Actor } from './actor';
import { ensureDefaultProject, lockProject } from './projects';
import {
  CHANGE_AUDIT_ARGS,
  type ChangeAuditArgs,
  changeAudit,
  changeAuditArgs,
  countRecord,
  recordTask,
} from './record';
import { type TaskWithSlug, toTask } from './rows';

export { countTasks, listTasks } from './task-list';

export async function getTask(db: Kysely<DB>, actor: Actor, id: number): Promise<Task> {
  return toTask(await requireVisibleTask(db, actor, id));
}

async function requireParentInProject(
  trx: Transaction<DB>,
  parentId: number,
  projectId: number,
  projectSlug: string,
): Promise<void> {
  const parent = await trx
    .selectFrom('tasks')
    .select(['id', 'project_id'])
    .where('id', '=', parentId)
    .executeTakeFirst();
  if (!parent || parent.project_id !== projectId) {
    throw unprocessable(`parent_id ${parentId} does not name a task of project '${projectSlug}'`);
  }
}

async function requireMemberAssignee(
  trx: Transaction<DB>,
  workerId: string,
  projectId: number,
  projectSlug: string,
): Promise<void> {
  if (!(await isProjectMember(trx, projectId, workerId))) {
    throw unprocessable(`Worker '${workerId}' is not a member of project '${projectSlug}'`);
  }
}

/** Which project a new task goes into, as a condition on `projects`. */
type Destination = { default_of: string } | { slug: string; actor: Actor } | { id: number };

type CreateInput = z.output<typeof TaskCreateInput>;
/** A new task's values, in the order of insertInto's columns. */
type NewTask = [
  title: string,
  description: string,
  priority: CreateInput['priority'],
  tags: string[],
  due_date: CreateInput['due_date'] | null,
  assigned_to: string | null,
  parent_id: number | null,
  created_by: string,
];

/** The insert, and the task's 'created' record for the row it returns. */
function insertInto(
  db: Kysely<DB>,
  [title, description, priority, tags, due_date, assigned_to, parent_id, created_by]: NewTask,
  audit: ChangeAuditArgs,
  where: (eb: ExpressionBuilder<DB, 'projects'>) => Expression<SqlBool>,
) {
  const insert = db
    .insertInto('tasks')
    .columns([
      'project_id',
      'title',
      'description',
      'priority',
      'tags',
      'due_date',
      'assigned_to',
      'parent_id',
      'created_by',
    ])
    .expression((eb) =>
      eb
        .selectFrom('projects')
        .select([
          'projects.id',
          sql<string>`${title}::text`.as('title'),
          sql<string>`${description}::text`.as('description'),
          sql<string>`${priority}::text`.as('priority'),
          sql<string[]>`${tags}::text[]`.as('tags'),
          sql<Date | null>`${due_date}::timestamptz`.as('due_date'),
          sql<string | null>`${assigned_to}::text`.as('assigned_to'),
          sql<number | null>`${parent_id}::int`.as('parent_id'),
          sql<string>`${created_by}::text`.as('created_by'),
        ])
        .where(where),
    )
    .returningAll()
    .returning(
      sql<string>`(select p.slug from projects p where p.id = tasks.project_id)`.as('project_slug'),
    );
  return withAudit(insert, changeAudit(sql.ref('changed.project_slug'), ...audit));
}

type InsertArgs = [...NewTask, ...ChangeAuditArgs];
const taskOf = (args: InsertArgs) => args.slice(0, -CHANGE_AUDIT_ARGS) as NewTask;
const auditOf = (args: InsertArgs) => args.slice(-CHANGE_AUDIT_ARGS) as ChangeAuditArgs;

/** One compiled insert per kind of destination. */
const insertTaskInto = {
  project: preparedQuery((db, projectId: number, ...args: InsertArgs) =>
    insertInto(db, taskOf(args), auditOf(args), (w) => w('projects.id', '=', projectId)),
  ),
  defaultOf: preparedQuery((db, ownerId: string, ...args: InsertArgs) =>
    insertInto(db, taskOf(args), auditOf(args), (w) =>
      w.and([w('projects.owner_id', '=', ownerId), w('projects.is_default', '=', true)]),
    ),
  ),
  slug: preparedQuery((db, slug: string, ...args: InsertArgs) =>
    insertInto(db, taskOf(args), auditOf(args), (w) => w('projects.slug', '=', slug)),
  ),
  memberSlug: preparedQuery((db, slug: string, workerId: string, ...args: InsertArgs) =>
    insertInto(db, taskOf(args), auditOf(args), (w) =>
      w.and([
        w('projects.slug', '=', slug),
        w.exists(
          w
            .selectFrom('project_members')
            .select('project_members.project_id')
            .whereRef('project_members.project_id', '=', 'projects.id')
            .where('project_members.worker_id', '=', workerId),
        ),
      ]),
    ),
  ),
};

/**
 * Inserts the task into the project the destination names, if there is one (and, by slug,
 * only one the actor may see), and records it: the look-up, the insert and the record are
 * one statement. Undefined (and nothing recorded) when no project matched.
 */
async function insertTask(trx: Transaction<DB>, actor: Actor, input: CreateInput, to: Destination) {
  const args: InsertArgs = [
    input.title,
    input.description ?? '',
    input.priority,
    input.tags ?? [],
    input.due_date ?? null,
    input.assigned_to ?? null,
    input.parent_id ?? null,
    actor.id,
    ...changeAuditArgs(actor, 'created', {
      title: input.title,
      priority: input.priority,
      ...(input.assigned_to && { assigned_to: input.assigned_to }),
      ...(input.parent_id && { parent_id: input.parent_id }),
    }),
  ];
  const rows =
    'id' in to
      ? await insertTaskInto.project(trx, to.id, ...args)
      : 'default_of' in to
        ? await insertTaskInto.defaultOf(trx, to.default_of, ...args)
        : to.actor.is_admin
          ? await insertTaskInto.slug(trx, to.slug, ...args)
          : await insertTaskInto.memberSlug(trx, to.slug, to.actor.id, ...args);
  if (rows[0]) countRecord(trx);
  return rows[0];
}

export async function createTask(
  trx: Transaction<DB>,
  actor: Actor,
  input: z.output<typeof TaskCreateInput>,
): Promise<Task> {
  // The common case, one statement: a plain task into a project that exists and is the
  // actor's. Anything else (a parent or assignee to check, no default project yet, a
  // project the actor may not see) takes the longer way, which says what is wrong.
  const plain = !input.parent_id && !input.assigned_to;
  let row = plain
    ? await insertTask(
        trx,
        actor,
        input,
        input.project_slug ? { slug: input.project_slug, actor } : { default_of: actor.id },
      )
    : undefined;
  if (!row) {
    const project = input.project_slug
      ? (await requireVisibleProject(trx, actor, input.project_slug)).project
      : await ensureDefaultProject(trx, actor);
    if (input.parent_id)
      await requireParentInProject(trx, input.parent_id, project.id, project.slug);
    if (input.assigned_to)
      await requireMemberAssignee(trx, input.assigned_to, project.id, project.slug);
    row = await insertTask(trx, actor, input, { id: project.id });
    if (!row) throw new Error(`project ${project.id} vanished while a task was added to it`);
  }
  return toTask({ ...row, blocked_by: [], blocks: [], waiting_for: [] });
}

export function requireEditor(task: TaskWithSlug, actor: Actor, doing: string): void {
  if (!actor.is_admin && task.created_by !== actor.id && task.assigned_to !== actor.id) {
    throw forbidden(`Only the task's creator, its assignee or an admin can ${doing}`);
  }
}

export function requireVersion(task: TaskWithSlug, expected: number | undefined): void {
  if (expected !== undefined && expected !== task.version) {
    throw stale(
      `Task ${task.id} has changed since you read it (version ${task.version}, not ${expected}): reload it and retry`,
    );
  }
}

/** Would making `parentId` the parent of `taskId` put the task among its own ancestors? */
async function wouldCycle(
  trx: Transaction<DB>,
  taskId: number,
  parentId: number,
): Promise<boolean> {
  const { rows } = await sql<{ id: number }>`
    with recursive ancestors (id, parent_id) as (
      select id, parent_id from tasks where id = ${parentId}
      union
      select t.id, t.parent_id from tasks t join ancestors a on t.id = a.parent_id
    )
    select id from ancestors where id = ${taskId} limit 1`.execute(trx);
  return rows.length > 0;
}

/**
 * A conditional update: it lands only if nobody changed the task since it was
 * read (same version), and bumps the version. Undefined when it did not land.
 */
/**
 * The workflow's update, whose values may be SQL expressions, with its record in the same
 * statement; undefined (nothing changed, nothing recorded) if the task moved meanwhile.
 */
export async function tryUpdateIfUnchanged(
  trx: Transaction<DB>,
  actor: Actor,
  task: TaskWithSlug,
  patch: TaskUpdate,
  action: AuditAction,
  context: AuditContext,
): Promise<TaskWithSlug | undefined> {
  const change = trx
    .updateTable('tasks')
    .set({ ...patch, version: task.version + 1, updated_at: new Date() })
    .where('id', '=', task.id)
    .where('version', '=', task.version)
    .returningAll();
  const audit = changeAudit(task.project_slug, ...changeAuditArgs(actor, action, context));
  const { rows } = await withAudit(change, audit).execute(trx);
  const row = rows[0];
  if (!row) return undefined;
  countRecord(trx);
  return withEdgesOf(task, row);
}

/** The task's row is locked or version-checked: its edges are the ones read with it. */
function withEdgesOf(task: TaskWithSlug, row: TaskRow): TaskWithSlug {
  return {
    ...row,
    project_slug: task.project_slug,
    blocked_by: task.blocked_by,
    blocks: task.blocks,
    waiting_for: task.waiting_for,
  };
}

type PatchColumn = keyof TaskPatch & string;
type PreparedUpdate = (db: Kysely<DB>, ...values: unknown[]) => Promise<TaskRow[]>;

/**
 * An edit's update and its record, one statement compiled once per set of columns it
 * changes (at most one per subset of the seven an edit can name). Plain values only: the
 * workflow's updates, whose values are SQL expressions, go through tryUpdateIfUnchanged.
 */
const patchUpdates = new Map<string, PreparedUpdate>();

function patchUpdate(columns: PatchColumn[]): PreparedUpdate {
  const key = columns.join(',');
  let update = patchUpdates.get(key);
  if (!update) {
    update = preparedQuery(
      (
        db,
        id: unknown,
        version: unknown,
        updatedAt: unknown,
        slug: unknown,
        ...rest: unknown[]
      ) => {
        const audit = rest.slice(0, CHANGE_AUDIT_ARGS) as ChangeAuditArgs;
        const values = rest.slice(CHANGE_AUDIT_ARGS);
        const change = db
          .updateTable('tasks')
          .set({
            ...Object.fromEntries(columns.map((column, i) => [column, values[i]])),
            version: sql<number>`${version}::int + 1`,
            updated_at: sql<Date>`${updatedAt}::timestamptz`,
          })
          .where('id', '=', sql<number>`${id}::int`)
          .where('version', '=', sql<number>`${version}::int`)
          .returningAll();
        return withAudit(change, changeAudit(slug, ...audit));
      },
    ) as PreparedUpdate;
    patchUpdates.set(key, update);
  }
  return update;
}

/** Applies the edit if the task is still at its version, and records it in the same statement. */
async function updateIfUnchanged(
  trx: Transaction<DB>,
  actor: Actor,
  task: TaskWithSlug,
  patch: TaskPatch,
  action: AuditAction,
  context: AuditContext,
): Promise<TaskWithSlug> {
  // As Kysely's set() does, a column given as undefined is left alone.
  const columns = (Object.keys(patch) as PatchColumn[]).filter((c) => patch[c] !== undefined);
  const [row] = await patchUpdate(columns)(
    trx,
    task.id,
    task.version,
    new Date(),
    task.project_slug,
    ...changeAuditArgs(actor, action, context),
    ...columns.map((column) => patch[column]),
  );
  if (!row) throw changedMeanwhile(task.id);
  countRecord(trx);
  return withEdgesOf(task, row);
}

export function changedMeanwhile(id: number): TRPCError {
  return stale(`Task ${id} was changed by someone else meanwhile: reload it and retry`);
}

type Change = { from: unknown; to: unknown };

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export async function updateTask(
  trx: Transaction<DB>,
  actor: Actor,
  input: z.output<typeof TaskUpdateInput>,
): Promise<Task> {
  const task = await lockVisibleTask(trx, actor, input.id);
  requireEditor(task, actor, 'edit it');
  requireVersion(task, input.expected_version);
  const current = toTask(task);

  const candidates = {
    title: input.title,
    description: input.description,
    priority: input.priority,
    tags: input.tags,
    due_date: input.due_date,
    parent_id: input.parent_id,
    assigned_to: input.assigned_to,
  };
  const changes: Record<string, Change> = {};
  for (const [field, value] of Object.entries(candidates)) {
    const before = current[field as keyof typeof candidates];
    if (value !== undefined && !sameValue(before, value))
      changes[field] = { from: before, to: value };
  }
  if (Object.keys(changes).length === 0) return current;

  if (changes.parent_id && input.parent_id) {
    // Serialise re-parenting within the project so two moves can't close a loop together.
    await lockProject(trx, task.project_id);
    await requireParentInProject(trx, input.parent_id, task.project_id, task.project_slug);
    if (await wouldCycle(trx, task.id, input.parent_id)) {
      throw unprocessable(
        `parent_id ${input.parent_id} would make task ${task.id} its own ancestor`,
      );
    }
  }
  if (changes.assigned_to && input.assigned_to) {
    await requireMemberAssignee(trx, input.assigned_to, task.project_id, task.project_slug);
  }

  const patch: TaskPatch = {};
  if (input.title !== undefined) patch.title = input.title;
  if (input.description !== undefined) patch.description = input.description;
  if (input.priority !== undefined) patch.priority = input.priority;
  if (input.tags !== undefined) patch.tags = input.tags;
  if (input.due_date !== undefined) patch.due_date = input.due_date;
  if (input.parent_id !== undefined) patch.parent_id = input.parent_id;
  if (input.assigned_to !== undefined) patch.assigned_to = input.assigned_to;

  return toTask(await updateIfUnchanged(trx, actor, task, patch, 'updated', { changes }));
}

export async function assignTask(
  trx: Transaction<DB>,
  actor: Actor,
  input: z.output<typeof TaskAssignInput>,
): Promise<Task> {
  const task = await lockVisibleTask(trx, actor, input.id);
  requireEditor(task, actor, 'assign it');
  requireVersion(task, input.expected_version);
  if (input.worker_id === task.assigned_to) return toTask(task);
  if (input.worker_id)
    await requireMemberAssignee(trx, input.worker_id, task.project_id, task.project_slug);
  const updated = await updateIfUnchanged(
    trx,
    actor,
    task,
    { assigned_to: input.worker_id },
    'assigned',
    { from: task.assigned_to, to: input.worker_id },
  );
  return toTask(updated);
}

export async function deleteTask(
  trx: Transaction<DB>,
  actor: Actor,
  input: z.output<typeof TaskDeleteInput>,
): Promise<{ id: number; deleted: true }> {
  const { id } = input;
  const task = await lockVisibleTask(trx, actor, id);
  if (!actor.is_admin && task.created_by !== actor.id) {
    throw forbidden("Only the task's creator or an admin can delete it");
  }
  requireVersion(task, input.expected_version);
  const child = await trx
    .selectFrom('tasks')
    .select('id')
    .where('parent_id', '=', id)
    .limit(1)
    .executeTakeFirst();
  if (child) throw conflict(`Task ${id} has subtasks: delete or move them first`);
  // Its edges go with it (on delete cascade): the tasks at their other ends read differently now.
  const neighbours = [...task.blocked_by, ...task.blocks];
  if (neighbours.length) {
    await trx
      .updateTable('tasks')
      .set((eb) => ({ version: eb('version', '+', 1), updated_at: new Date() }))
      .where('id', 'in', neighbours)
      .execute();
  }
  await trx.deleteFrom('tasks').where('id', '=', id).execute();
  // The task's earlier audit rows stay: audit_log has no foreign key to tasks.
  await recordTask(trx, actor, task, 'deleted', {
    title: task.title,
    status: task.status,
    version: task.version,
    ...(neighbours.length && { blocked_by: task.blocked_by, blocks: task.blocks }),
  });
  return { id, deleted: true };
}
