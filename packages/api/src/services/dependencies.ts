import type { Task, TaskDependencyInput } from '@taskflow/contracts';
import { type DB, sql, type Transaction } from '@taskflow/db';
import type { z } from 'zod';
import { conflictWithDetails, unprocessable } from '../errors';
import { requireVisibleTask } from './access';
import type { Actor } from './actor';
import { recordTask } from './record';
import { type TaskWithSlug, toTask } from './rows';
import { requireEditor, requireVersion } from './tasks';

export { readyCondition } from './dependency-sql';

type Input = z.output<typeof TaskDependencyInput>;

/** The advisory lock class under which one project's dependency changes take turns. */
const DEPENDENCY_LOCK = 0x7a5d0005;

/**
 * Serialises every dependency change within the project, for the rest of the transaction.
 * Row locks on the two ends are not enough: A→B and C→D added at once can close the
 * loop B→C→D→A although they share no task, as each check misses the other's edge.
 */
async function lockProjectDependencies(trx: Transaction<DB>, projectId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${DEPENDENCY_LOCK}::int4, ${projectId}::int4)`.execute(
    trx,
  );
}

/** Locks both tasks' rows, in id order so two changes over the same pair cannot deadlock. */
async function lockPair(trx: Transaction<DB>, a: number, b: number) {
  return trx
    .selectFrom('tasks')
    .select(['id', 'project_id'])
    .where('id', 'in', [a, b])
    .orderBy('id')
    .forUpdate()
    .execute();
}

/** Is `to` reachable from `from` along "depends on" edges? */
async function dependsOnTransitively(
  trx: Transaction<DB>,
  from: number,
  to: number,
): Promise<boolean> {
  const { rows } = await sql<{ id: number }>`
    with recursive reach (id) as (
      select depends_on_id from task_dependencies where task_id = ${from}
      union
      select d.depends_on_id from task_dependencies d join reach r on d.task_id = r.id
    )
    select id from reach where id = ${to} limit 1`.execute(trx);
  return rows.length > 0;
}

/**
 * An edge changes what both tasks read as (blocked_by, blocks): each gets a new version,
 * so an ETag or expected_version taken before the change no longer matches.
 */
export async function bumpVersions(trx: Transaction<DB>, ids: number[]): Promise<void> {
  await trx
    .updateTable('tasks')
    .set((eb) => ({ version: eb('version', '+', 1), updated_at: new Date() }))
    .where('id', 'in', ids)
    .execute();
}

/** The task, checked for the caller's right to edit it, with the project's dependency lock held. */
async function prepare(trx: Transaction<DB>, actor: Actor, input: Input): Promise<TaskWithSlug> {
  const seen = await requireVisibleTask(trx, actor, input.id);
  requireEditor(seen, actor, 'change its dependencies');
  await lockProjectDependencies(trx, seen.project_id);
  await lockPair(trx, input.id, input.depends_on_id);
  // Read again under the locks: the assignee and version checked are those the change applies to.
  const task = await requireVisibleTask(trx, actor, input.id);
  requireEditor(task, actor, 'change its dependencies');
  requireVersion(task, input.expected_version);
  return task;
}

export async function addDependency(
  trx: Transaction<DB>,
  actor: Actor,
  input: Input,
): Promise<Task> {
  if (input.id === input.depends_on_id) {
    throw unprocessable(`Task ${input.id} cannot depend on itself`);
  }
  const task = await prepare(trx, actor, input);
  const other = await trx
    .selectFrom('tasks')
    .select(['id', 'project_id', 'title'])
    .where('id', '=', input.depends_on_id)
    .executeTakeFirst();
  // A task of another project (or none) reads the same: nothing is revealed about it.
  if (!other || other.project_id !== task.project_id) {
    throw unprocessable(
      `depends_on_id ${input.depends_on_id} does not name a task of project '${task.project_slug}'`,
    );
  }
  // Adding an edge that exists changes nothing: a retry gets the same answer.
  if (task.blocked_by.includes(other.id)) return toTask(task);
  if (await dependsOnTransitively(trx, other.id, task.id)) {
    throw unprocessable(
      `Task ${other.id} already waits for task ${task.id} (directly or through others): making ${task.id} wait for ${other.id} would be a cycle`,
    );
  }
  await trx
    .insertInto('task_dependencies')
    .values({
      task_id: task.id,
      depends_on_id: other.id,
      project_id: task.project_id,
      created_by: actor.id,
    })
    .execute();
  await bumpVersions(trx, [task.id, other.id]);
  await recordTask(trx, actor, task, 'dependency_added', {
    depends_on_id: other.id,
    depends_on_title: other.title,
  });
  return toTask(await requireVisibleTask(trx, actor, task.id));
}

export async function removeDependency(
  trx: Transaction<DB>,
  actor: Actor,
  input: Input,
): Promise<Task> {
  const task = await prepare(trx, actor, input);
  const removed = await trx
    .deleteFrom('task_dependencies')
    .where('task_id', '=', task.id)
    .where('depends_on_id', '=', input.depends_on_id)
    .returning('depends_on_id')
    .executeTakeFirst();
  // Removing an edge that is not there changes nothing: a retry gets the same answer.
  if (!removed) return toTask(task);
  await bumpVersions(trx, [task.id, input.depends_on_id]);
  await recordTask(trx, actor, task, 'dependency_removed', { depends_on_id: input.depends_on_id });
  return toTask(await requireVisibleTask(trx, actor, task.id));
}

export interface Blocker {
  id: number;
  title: string;
  status: Task['status'];
}

/** The tasks `taskId` waits for that are not completed yet, by id. */
export function unfinishedDependencies(trx: Transaction<DB>, taskId: number): Promise<Blocker[]> {
  return trx
    .selectFrom('task_dependencies')
    .innerJoin('tasks', 'tasks.id', 'task_dependencies.depends_on_id')
    .select(['tasks.id', 'tasks.title', 'tasks.status'])
    .where('task_dependencies.task_id', '=', taskId)
    .where('tasks.status', '<>', 'completed')
    .orderBy('tasks.id')
    .execute();
}

/** 409 for starting a task that waits for unfinished ones, naming them. */
export function waitingFor(taskId: number, blockers: Blocker[]) {
  const list = blockers.map((b) => `${b.id} "${b.title}" (${b.status})`).join(', ');
  return conflictWithDetails(
    `Task ${taskId} waits for unfinished ${blockers.length === 1 ? 'task' : 'tasks'} ${list}: complete ${blockers.length === 1 ? 'it' : 'them'} first`,
    { blocked_by: blockers },
  );
}
