import type { MemberRole } from '@taskflow/contracts';
import type { DB, ExpressionBuilder, Kysely, ProjectRow, Transaction } from '@taskflow/db';
import { notFound } from '../errors';
import type { Actor } from './actor';
import { dependencyIds } from './dependency-sql';
import type { TaskWithSlug } from './rows';

/** `tasks.project_id` is one of the actor's projects (admins see all). */
export function taskVisibleTo(actor: Actor) {
  return (eb: ExpressionBuilder<DB, 'tasks'>) =>
    actor.is_admin
      ? eb.lit(true)
      : eb.exists(
          eb
            .selectFrom('project_members')
            .select('project_members.project_id')
            .whereRef('project_members.project_id', '=', 'tasks.project_id')
            .where('project_members.worker_id', '=', actor.id),
        );
}

export function selectTasks(db: Kysely<DB>) {
  return db
    .selectFrom('tasks')
    .innerJoin('projects', 'projects.id', 'tasks.project_id')
    .selectAll('tasks')
    .select('projects.slug as project_slug')
    .select(dependencyIds);
}

function visibleTask(db: Kysely<DB>, actor: Actor, id: number) {
  return selectTasks(db).where('tasks.id', '=', id).where(taskVisibleTo(actor));
}

/** The task, if it exists and the actor may see it; to anyone else it does not exist. */
export async function requireVisibleTask(
  db: Kysely<DB>,
  actor: Actor,
  id: number,
): Promise<TaskWithSlug> {
  const row = await visibleTask(db, actor, id).executeTakeFirst();
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
  const row = await visibleTask(trx, actor, id).forUpdate('tasks').executeTakeFirst();
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
