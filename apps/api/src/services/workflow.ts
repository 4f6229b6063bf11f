import {
  checkTransition,
  statusConflictMessage,
  type Task,
  type TaskAction,
  TRANSITIONS,
  targetStatus,
} from '@taskflow/contracts';
import type { DB, TaskPatch, Transaction } from '@taskflow/db';
import { TRPCError } from '@trpc/server';
import { conflict, requireVisibleTask } from './access';
import type { Actor } from './actor';
import { recordTask } from './record';
import { toTask } from './rows';
import { changedMeanwhile, requireVersion, tryUpdateIfUnchanged } from './tasks';

export interface MoveInput {
  id: number;
  expected_version?: number | undefined;
  percent?: number;
  note?: string | undefined;
  reason?: string;
}

function fail(check: { reason: 'status' | 'forbidden'; message: string }): TRPCError {
  return new TRPCError({
    code: check.reason === 'status' ? 'CONFLICT' : 'FORBIDDEN',
    message: check.message,
  });
}

/**
 * Makes one workflow move. The rules come from the shared transition table;
 * the write is one conditional UPDATE on (id, version), so of any number of
 * concurrent moves on a task exactly one lands and the rest get 409.
 */
export async function moveTask(
  trx: Transaction<DB>,
  actor: Actor,
  action: TaskAction,
  input: MoveInput,
): Promise<Task> {
  const task = await requireVisibleTask(trx, actor, input.id);
  requireVersion(task, input.expected_version);
  const check = checkTransition(action, task, actor);
  if (!check.ok) throw fail(check);

  const to = targetStatus(action, task.blocked_from);
  const now = new Date();
  const patch: TaskPatch = { status: to };
  switch (action) {
    case 'start':
      patch.assigned_to = actor.id;
      patch.started_at = task.started_at ?? now;
      break;
    case 'progress':
      patch.progress_percent = input.percent ?? task.progress_percent;
      break;
    case 'complete':
      patch.progress_percent = 100;
      patch.completed_at = now;
      break;
    case 'reopen':
      patch.completed_at = null;
      break;
    case 'block':
      patch.blocked_from = task.status;
      patch.blocked_reason = input.reason ?? null;
      break;
    case 'unblock':
      patch.blocked_from = null;
      patch.blocked_reason = null;
      break;
  }

  const row = await tryUpdateIfUnchanged(trx, task, patch);
  if (!row) {
    // Someone moved first. Report what the task is now, as the loser would see it.
    const fresh = await requireVisibleTask(trx, actor, task.id);
    if (!TRANSITIONS[action].from[fresh.status]) {
      throw conflict(statusConflictMessage(action, fresh.status));
    }
    throw changedMeanwhile(task.id);
  }

  await recordTask(trx, actor, task, TRANSITIONS[action].audit, {
    from: task.status,
    to,
    ...(input.percent !== undefined && { percent: input.percent }),
    ...(input.note && { note: input.note }),
    ...(input.reason && { reason: input.reason }),
    ...(action === 'start' &&
      task.assigned_to &&
      task.assigned_to !== actor.id && { previous_assignee: task.assigned_to }),
  });
  return toTask(row);
}
