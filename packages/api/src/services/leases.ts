import { LEASE } from '@taskflow/contracts';
import { type Expression, sql, type TaskUpdate } from '@taskflow/db';
import { conflict } from '../errors';
import type { TaskWithSlug } from './rows';

// Lease arithmetic happens in the database, on its clock: the sweeper
// compares against the same now() that set the lease, whichever process ran.

const projectDefault = sql<
  number | null
>`(select p.default_lease_seconds from projects p where p.id = tasks.project_id)`;

/** A claim's lease: the claim's own, else the project's default, else the server's. */
function claimSeconds(requested: number | undefined) {
  return sql<number>`coalesce(${requested ?? null}::integer, ${projectDefault}, ${LEASE.defaultSeconds}::integer)`;
}

/** An extension keeps the claim's length unless a new one is asked for. */
function extensionSeconds(requested: number | undefined) {
  return sql<number>`coalesce(${requested ?? null}::integer, tasks.lease_seconds, ${projectDefault}, ${LEASE.defaultSeconds}::integer)`;
}

const expiresAfter = (seconds: Expression<number>) =>
  sql<Date>`now() + ${seconds} * interval '1 second'`;

/** What a claim (start, claimNext) sets besides the move's own effects: a new lease and epoch. */
export function claimLease(requested: number | undefined): TaskUpdate {
  const seconds = claimSeconds(requested);
  return {
    lease_seconds: seconds,
    lease_expires_at: expiresAfter(seconds),
    claim_epoch: sql<number>`tasks.claim_epoch + 1`,
  };
}

/** What a heartbeat or a progress report sets: the lease, extended from now. */
export function extendLease(requested: number | undefined): TaskUpdate {
  const seconds = extensionSeconds(requested);
  return { lease_seconds: seconds, lease_expires_at: expiresAfter(seconds) };
}

/** Leaving in_progress (review, completed, blocked) ends the lease: nothing to sweep. */
export const endLease: TaskUpdate = { lease_expires_at: null };

/** A move made under a claim that is no longer the task's current one. */
export function requireClaimEpoch(task: TaskWithSlug, epoch: number | undefined): void {
  if (epoch !== undefined && epoch !== task.claim_epoch) {
    throw conflict(
      `Task ${task.id} was claimed again since your claim (claim_epoch ${task.claim_epoch}, not ${epoch}): your lease lapsed, so this move is refused`,
    );
  }
}
