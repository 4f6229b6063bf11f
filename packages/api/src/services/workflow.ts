import {
  checkTransition,
  moveEffects,
  statusConflictMessage,
  type Task,
  type TaskAction,
  TRANSITIONS,
} from '@taskflow/contracts';
import type { DB, TaskUpdate, Transaction } from '@taskflow/db';
import type { TRPCError } from '@trpc/server';
import { conflict, forbidden } from '../errors';
import { lockVisibleTask, requireVisibleTask } from './access';
import type { Actor } from './actor';
import { bumpVersions, unfinishedDependencies, waitingFor } from './dependencies';
import { claimLease, endLease, extendLease, requireClaimEpoch } from './leases';
import { toTask } from './rows';
import { changedMeanwhile, requireVersion, tryUpdateIfUnchanged } from './tasks';

export interface MoveInput {
  id: number;
  expected_version?: number | undefined;
  /** Made under this claim only: 409 if the task was claimed since. */
  claim_epoch?: number | undefined;
  /** start: the lease the claim holds. */
  lease_seconds?: number | undefined;
  percent?: number;
  note?: string | undefined;
  reason?: string;
}

function fail(check: { reason: 'status' | 'forbidden'; message: string }): TRPCError {
  return check.reason === 'status' ? conflict(check.message) : forbidden(check.message);
}

/**
 * Makes one workflow move. The rules come from the shared transition table;
 * the task is locked while they are checked, so concurrent moves take turns:
 * of any number of concurrent claims exactly one lands, and each of the others
 * sees the task as the winner left it (409 when its move no longer applies).
 */
export async function moveTask(
  trx: Transaction<DB>,
  actor: Actor,
  action: TaskAction,
  input: MoveInput,
): Promise<Task> {
  const task = await lockVisibleTask(trx, actor, input.id);
  requireVersion(task, input.expected_version);
  requireClaimEpoch(task, input.claim_epoch);
  const check = checkTransition(action, task, actor);
  if (!check.ok) throw fail(check);
  if (action === 'start') {
    // Edges change only under this task's row lock (held here), so the answer holds until commit.
    const blockers = await unfinishedDependencies(trx, task.id);
    if (blockers.length) throw waitingFor(task.id, blockers);
  }

  const effects = moveEffects(
    action,
    { ...task, started_at: task.started_at?.toISOString() ?? null },
    input,
    actor.id,
    new Date().toISOString(),
  );
  const to = effects.status;
  // A claim takes a new lease and epoch. Any other move that leaves the task in progress
  // (a progress report, or back from review or blocked to the same holder) runs the lease
  // from now, so no task is in progress without one; leaving in_progress ends it.
  const lease =
    action === 'start'
      ? claimLease(input.lease_seconds)
      : to === 'in_progress'
        ? extendLease(undefined)
        : endLease;
  const patch: TaskUpdate = { ...effects, ...lease };
  const context = {
    from: task.status,
    to,
    ...(input.percent !== undefined && { percent: input.percent }),
    ...(input.note && { note: input.note }),
    ...(input.reason && { reason: input.reason }),
    ...(action === 'start' &&
      task.assigned_to &&
      task.assigned_to !== actor.id && { previous_assignee: task.assigned_to }),
  };
  const row = await tryUpdateIfUnchanged(
    trx,
    actor,
    task,
    patch,
    TRANSITIONS[action].audit,
    context,
  );
  if (!row) {
    // Someone moved first. Report what the task is now, as the loser would see it.
    const fresh = await requireVisibleTask(trx, actor, task.id);
    if (!TRANSITIONS[action].from[fresh.status]) {
      throw conflict(statusConflictMessage(action, fresh.status));
    }
    throw changedMeanwhile(task.id);
  }

  if (task.blocks.length && (to === 'completed') !== (task.status === 'completed')) {
    // The tasks waiting for this one read differently now (waiting_for): new versions for them.
    await bumpVersions(trx, task.blocks);
  }

  return toTask(row);
}
