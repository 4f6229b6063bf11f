import { z } from 'zod';
import { Id, INT4_MAX, LIMITS, Slug, Text } from './common';
import { TaskPriority } from './enums';

/** A claim's lease, in seconds: from the claim, else the project's default, else the server's. */
export const LEASE = {
  minSeconds: 10,
  maxSeconds: 86_400,
  /** The server's default: 15 minutes. */
  defaultSeconds: 900,
} as const;

export const LeaseSeconds = z
  .number()
  .int()
  .min(LEASE.minSeconds)
  .max(LEASE.maxSeconds)
  .describe(
    `How long the claim holds without a heartbeat, in seconds (${LEASE.minSeconds}..${LEASE.maxSeconds}); default: the project's, else ${LEASE.defaultSeconds}`,
  );

/** The claim a move is made under: a stale one (someone claimed the task since) gets 409. */
export const ClaimEpoch = z
  .number()
  .int()
  .min(0)
  .max(INT4_MAX)
  .describe("The task's claim_epoch when you claimed it; refused with 409 if it was claimed since");

/** Fields every move takes besides the task's id and expected_version, not asked for by forms. */
export const MOVE_CLAIM_FIELDS = ['claim_epoch', 'lease_seconds'] as const;

export const TaskClaimNextInput = z
  .strictObject({
    project_slug: Slug.optional(),
    /** The task must carry every one of them. */
    tags: z.array(Text.trim().min(1).max(LIMITS.tagMax)).max(LIMITS.tagsMax).optional(),
    min_priority: TaskPriority.optional(),
    /** Only tasks assigned to the caller or to nobody (default); false also takes others' tasks. */
    mine_or_unassigned: z.boolean().default(true),
    lease_seconds: LeaseSeconds.optional(),
  })
  .default({ mine_or_unassigned: true });
export type TaskClaimNextInput = z.input<typeof TaskClaimNextInput>;

export const TaskHeartbeatInput = z.strictObject({
  id: Id,
  claim_epoch: ClaimEpoch.optional(),
  /** A new lease length for this claim; default the one the claim got. */
  lease_seconds: LeaseSeconds.optional(),
});
export type TaskHeartbeatInput = z.input<typeof TaskHeartbeatInput>;
