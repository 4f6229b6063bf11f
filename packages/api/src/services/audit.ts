import type { AuditEntry, AuditListInput, Page } from '@taskflow/contracts';
import type { AuditRow, DB, Kysely } from '@taskflow/db';
import { TRPCError } from '@trpc/server';
import type { z } from 'zod';
import { notFound } from '../errors';
import { requireVisibleProject } from './access';
import type { Actor } from './actor';
import { decodeCursor, encodeCursor, pageOf, refuseCursorWithOffset } from './cursor';
import { pageRange } from './page-range';
import { iso } from './rows';

export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    task_id: row.task_id,
    project_slug: row.project_slug,
    actor_id: row.actor_id,
    actor_type: row.actor_type,
    action: row.action,
    context: row.context,
    client: row.client,
    created_at: iso(row.created_at),
  };
}

/**
 * A task's trail, oldest first. It outlives the task: a deleted task's trail
 * stays readable by the members of the project it belonged to.
 */
export async function listTaskAudit(
  db: Kysely<DB>,
  actor: Actor,
  input: z.output<typeof AuditListInput>,
): Promise<Page<AuditEntry>> {
  refuseCursorWithOffset(input);
  const filters = { task_id: input.task_id };
  const after =
    input.cursor == null
      ? undefined
      : decodeCursor('audit', filters, input.cursor, { id: 'bigint', value: 'none' });
  const task = await db
    .selectFrom('tasks')
    .innerJoin('projects', 'projects.id', 'tasks.project_id')
    .select('projects.slug')
    .where('tasks.id', '=', input.task_id)
    .executeTakeFirst();
  const slug =
    task?.slug ??
    (
      await db
        .selectFrom('audit_log')
        .select('project_slug')
        .where('task_id', '=', input.task_id)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst()
    )?.project_slug;
  if (!slug) throw notFound(`Task ${input.task_id}`);
  try {
    await requireVisibleProject(db, actor, slug);
  } catch (error) {
    if (error instanceof TRPCError && error.code === 'NOT_FOUND')
      throw notFound(`Task ${input.task_id}`);
    throw error;
  }
  // Oldest first; the id alone is the key (audit_log_task serves it).
  let query = db.selectFrom('audit_log').selectAll().where('task_id', '=', input.task_id);
  if (after) query = query.where('id', '>', Number(after.i));
  const rows = await query
    .orderBy('id', 'asc')
    .$call(pageRange(input.limit + 1, input.offset))
    .execute();
  return pageOf(rows, input.limit, toAuditEntry, (row) =>
    encodeCursor('audit', filters, { v: null, i: row.id }),
  );
}
