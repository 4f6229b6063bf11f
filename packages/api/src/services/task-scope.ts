import { type DB, type Expression, type Kysely, type SqlBool, sql } from '@taskflow/db';
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
  /**
   * These projects' tasks only; none when the list is empty. `assumedFor`: the ids are
   * the worker's memberships as last seen, which the read confirms (scopeConfirmed).
   */
  | { kind: 'projects'; ids: number[]; assumedFor?: string };

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

/**
 * Per worker, the projects "all my projects" read last time (ascending ids), so the next
 * such read can be one query: it names these ids and confirms them in the same statement.
 * Never trusted on its own, so nothing has to tell it of a change: a guess gone wrong
 * costs the read a second query. Bounded; the least recently used goes first.
 */
export class MemberScopes {
  private readonly ids = new Map<string, number[]>();

  constructor(private readonly maxEntries = 10_000) {}

  get size(): number {
    return this.ids.size;
  }

  get(workerId: string): number[] | undefined {
    const ids = this.ids.get(workerId);
    if (ids === undefined) return undefined;
    // Re-inserted: a Map iterates in insertion order, so the first key is the least recent.
    this.ids.delete(workerId);
    this.ids.set(workerId, ids);
    return ids;
  }

  set(workerId: string, ids: number[]): void {
    this.ids.delete(workerId);
    this.ids.set(workerId, ids);
    while (this.ids.size > this.maxEntries) {
      const oldest = this.ids.keys().next().value;
      if (oldest === undefined) break;
      this.ids.delete(oldest);
    }
  }
}

/**
 * For an assumed scope, the condition that it is still the worker's memberships, exactly:
 * put on a read's outer query, it is evaluated once (an InitPlan) in the read's own
 * snapshot, and a wrong guess reads no rows at all. Null for a scope resolved just now.
 */
export function scopeConfirmed(scope: TaskScope): Expression<SqlBool> | null {
  if (scope.kind !== 'projects' || scope.assumedFor === undefined) return null;
  return sql<SqlBool>`(select coalesce(array_agg(pm.project_id order by pm.project_id), '{}') from project_members pm where pm.worker_id = ${scope.assumedFor}) = ${scope.ids}::int[]`;
}

/**
 * Runs a read over the caller's scope. For a member's "all my projects" with a remembered
 * scope, the read names it and confirms it (scopeConfirmed): one query. Only an empty
 * result is ambiguous (nothing there, or a guess gone wrong): the scope is then resolved
 * afresh and read again. Otherwise resolved first, as resolveTaskScope says.
 */
export async function readScoped<R>(
  db: Kysely<DB>,
  actor: Actor,
  projectSlug: string | undefined,
  scopes: MemberScopes | undefined,
  read: (scope: TaskScope) => Promise<R>,
  isEmpty: (result: R) => boolean,
): Promise<R> {
  const remembered = scopes && !projectSlug && !actor.is_admin;
  // A remembered empty scope saves nothing: a read of no projects needs no query.
  const assumed = remembered ? scopes.get(actor.id) : undefined;
  if (assumed?.length) {
    const guessed = await read({ kind: 'projects', ids: assumed, assumedFor: actor.id });
    if (!isEmpty(guessed)) return guessed;
  }
  const scope = await resolveTaskScope(db, actor, projectSlug);
  if (remembered && scope.kind === 'projects') scopes.set(actor.id, scope.ids);
  // Even when the ids read now equal the guess, an empty guess is re-read: the membership
  // may have changed and changed back between the two, the guess failing its confirmation.
  return read(scope);
}
