import type { DB, Kysely } from '@taskflow/db';
import type { Actor } from './actor';

/**
 * Which projects a list or a count reads, resolved before the tasks query in a small
 * query of its own: the tasks query then names its projects by id (a literal), so its
 * plan cannot depend on the statistics of projects or project_members, which a fresh
 * deployment with few projects and many tasks may never have.
 */
export type TaskScope =
  /** An admin without a project filter: every task. */
  | { kind: 'all' }
  /** These projects' tasks only; none when the list is empty. */
  | { kind: 'projects'; ids: number[] };

/**
 * A project the caller cannot see (or that does not exist) lists nothing, as it did when
 * visibility was a condition of the tasks query: an empty page, not a 404.
 */
export async function resolveTaskScope(
  db: Kysely<DB>,
  actor: Actor,
  projectSlug: string | undefined,
): Promise<TaskScope> {
  if (projectSlug) {
    const project = await db
      .selectFrom('projects')
      .select('projects.id')
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('project_members')
              .select('project_members.project_id')
              .whereRef('project_members.project_id', '=', 'projects.id')
              .where('project_members.worker_id', '=', actor.id),
          )
          .as('member'),
      )
      .where('projects.slug', '=', projectSlug)
      .executeTakeFirst();
    const visible = project && (project.member || actor.is_admin);
    return { kind: 'projects', ids: visible ? [project.id] : [] };
  }
  if (actor.is_admin) return { kind: 'all' };
  const rows = await db
    .selectFrom('project_members')
    .select('project_id')
    .where('worker_id', '=', actor.id)
    .orderBy('project_id')
    .execute();
  return { kind: 'projects', ids: rows.map((r) => r.project_id) };
}
