import type { MemberRole } from '@taskflow/contracts';
import {
  type DB,
  type ExpressionBuilder,
  type Kysely,
  type ProjectRow,
  preparedQuery,
  type Transaction,
} from '@taskflow/db';
import { notFound } from '../errors';
import type { Actor } from './actor';
import { dependencyIds } from './dependency-sql';
import type { TaskWithSlug } from './rows';

/** `tasks.project_id` is one of the worker's projects. */
function inProjectOf(workerId: string) {
  return (eb: ExpressionBuilder<DB, 'tasks'>) =>
    eb.exists(
      eb
        .selectFrom('project_members')
        .select('project_members.project_id')
        .whereRef('project_members.project_id', '=', 'tasks.project_id')
        .where('project_members.worker_id', '=', workerId),
    );
}

/** `tasks.project_id` is one of the actor's projects (admins see all). */
export function taskVisibleTo(actor: Actor) {
  return (eb: ExpressionBuilder<DB, 'tasks'>) =>
    actor.is_admin ? eb.lit(true) : inProjectOf(actor.id)(eb);
}

export function selectTasks(db: Kysely<DB>) {
  return db
    .selectFrom('tasks')
    .innerJoin('projects', 'projects.id', 'tasks.project_id')
    .selectAll('tasks')
    .select('projects.slug as project_slug')
    .select(dependencyIds);
}

/** The two shapes of a task read by id, each compiled once (see preparedQuery). */
const byId = (db: Kysely<DB>, id: number) => selectTasks(db).where('tasks.id', '=', id);
const memberReads = (db: Kysely<DB>, id: number, workerId: string) =>
  byId(db, id).where(inProjectOf(workerId));
const readTask = {
  admin: preparedQuery((db, id: number) => byId(db, id)),
  member: preparedQuery((db, id: number, workerId: string) => memberReads(db, id, workerId)),
  adminLock: preparedQuery((db, id: number) => byId(db, id).forUpdate('tasks')),
  memberLock: preparedQuery((db, id: number, workerId: string) =>
    memberReads(db, id, workerId).forUpdate('tasks'),
  ),
};

async function visibleTask(
  db: Kysely<DB>,
  actor: Actor,
  id: number,
  lock: boolean,
): Promise<TaskWithSlug | undefined> {
  const rows = actor.is_admin
    ? await (lock ? readTask.adminLock : readTask.admin)(db, id)
    : await (lock ? readTask.memberLock : readTask.member)(db, id, actor.id);
  return rows[0];
}

/** The task, if it exists and the actor may see it; to anyone else it does not exist. */
export async function requireVisibleTask(
  db: Kysely<DB>,
  actor: Actor,
  id: number,
): Promise<TaskWithSlug> {
  const row = await visibleTask(db, actor, id, false);
  if (!row) throw notFound(`Task ${id}`);
  return row;
}

/**
 * The task, locked for the rest of the transaction: a change made under this
 * lock cannot lose a race with another one, so an unconditional change never
 * fails because someone changed the task a moment earlier.
 */
export async function lockVisibleTask(
  trx: Transaction<DB>,
  actor: Actor,
  id: number,
): Promise<TaskWithSlug> {
  const row = await visibleTask(trx, actor, id, true);
  if (!row) throw notFound(`Task ${id}`);
  return row;
}

export interface ProjectAccess {
  project: ProjectRow;
  /** The actor's membership role; null for an admin who is not a member. */
  role: MemberRole | null;
}

export async function requireVisibleProject(
  db: Kysely<DB>,
  actor: Actor,
  slug: string,
): Promise<ProjectAccess> {
  const row = await db
    .selectFrom('projects')
    .leftJoin('project_members', (join) =>
      join
        .onRef('project_members.project_id', '=', 'projects.id')
        .on('project_members.worker_id', '=', actor.id),
    )
    .selectAll('projects')
    .select('project_members.role as member_role')
    .where('projects.slug', '=', slug)
    .executeTakeFirst();
  if (!row || (!row.member_role && !actor.is_admin)) throw notFound(`Project '${slug}'`);
  const { member_role, ...project } = row;
  return { project, role: member_role };
}

export async function isProjectMember(
  db: Kysely<DB>,
  projectId: number,
  workerId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('project_members')
    .select('worker_id')
    .where('project_id', '=', projectId)
    .where('worker_id', '=', workerId)
    .executeTakeFirst();
  return row !== undefined;
}
