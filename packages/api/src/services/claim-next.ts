import {
  TASK_PRIORITIES,
  type Task,
  type TaskClaimNextInput,
  type TaskHeartbeatInput,
} from '@taskflow/contracts';
import { type DB, sql, type Transaction } from '@taskflow/db';
import type { z } from 'zod';
import { conflict, forbidden } from '../errors';
import { lockVisibleTask, requireVisibleProject, taskVisibleTo } from './access';
import type { Actor } from './actor';
import { readyCondition } from './dependency-sql';
import { extendLease, requireClaimEpoch } from './leases';
import { toTask } from './rows';
import { moveTask } from './workflow';

/**
 * Starts the best ready task the caller may start, or answers null. The
 * candidate is locked with SKIP LOCKED, so concurrent claimers each take a
 * different task and none waits on another's lock; the start itself is the
 * ordinary move (same rules, same audit row), under the lock already held.
 */
export async function claimNextTask(
  trx: Transaction<DB>,
  actor: Actor,
  input: z.output<typeof TaskClaimNextInput>,
): Promise<Task | null> {
  let query = trx
    .selectFrom('tasks')
    .innerJoin('projects', 'projects.id', 'tasks.project_id')
    .select('tasks.id')
    .where(readyCondition)
    .where(taskVisibleTo(actor));
  if (input.project_slug) {
    // A typo must not read as "nothing to do" forever: an unknown project is 404.
    const { project } = await requireVisibleProject(trx, actor, input.project_slug);
    query = query.where('tasks.project_id', '=', project.id);
  }
  if (input.tags?.length) {
    query = query.where(sql<boolean>`tasks.tags @> array[${sql.join(input.tags)}]::text[]`);
  }
  if (input.min_priority) {
    query = query.where('tasks.priority_rank', '>=', TASK_PRIORITIES.indexOf(input.min_priority));
  }
  if (input.mine_or_unassigned) {
    query = query.where((eb) =>
      eb.or([eb('tasks.assigned_to', 'is', null), eb('tasks.assigned_to', '=', actor.id)]),
    );
  }
  const candidate = await query
    .orderBy('tasks.priority_rank', 'desc')
    .orderBy('tasks.created_at', 'asc')
    .orderBy('tasks.id', 'asc')
    // A literal: with LIMIT as a parameter PostgreSQL planned every claim afresh (rowLimit).
    .limit(sql.lit(1))
    // Only the task's row: locking the project's would make every claimer queue on it.
    .forUpdate('tasks')
    .skipLocked()
    .executeTakeFirst();
  if (!candidate) return null;
  return moveTask(trx, actor, 'start', { id: candidate.id, lease_seconds: input.lease_seconds });
}

/**
 * Extends the holder's lease. Neither the version nor the audit trail
 * changes: a heartbeat says "still working", it edits nothing.
 */
export async function heartbeatTask(
  trx: Transaction<DB>,
  actor: Actor,
  input: z.output<typeof TaskHeartbeatInput>,
): Promise<Task> {
  const task = await lockVisibleTask(trx, actor, input.id);
  requireClaimEpoch(task, input.claim_epoch);
  if (task.status !== 'in_progress') {
    throw conflict(
      `Cannot heartbeat task with status '${task.status}': there is no claim to extend`,
    );
  }
  if (task.assigned_to !== actor.id) {
    throw forbidden(`Only the holder of task ${task.id}'s claim can extend its lease`);
  }
  const row = await trx
    .updateTable('tasks')
    .set(extendLease(input.lease_seconds))
    .where('id', '=', task.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  // The lease is all that changed: the rest (dependencies included) is as locked.
  return toTask({ ...task, ...row });
}
