import { z } from 'zod';
import { Cursor, Id, Timestamp } from './common';
import { ActorType } from './enums';

export const AUDIT_ACTIONS = [
  'created',
  'updated',
  'assigned',
  'deleted',
  'started',
  'progress',
  'submitted_for_review',
  'changes_requested',
  'completed',
  'reopened',
  'blocked',
  'unblocked',
  'project_created',
  'project_updated',
  'member_added',
  'member_removed',
  'worker_upserted',
  'worker_registered',
  'worker_renamed',
  // The token brought a new email address (the address itself is not recorded).
  'worker_email_changed',
  // The system took back a claim whose lease expired (context.reason: 'lease_expired').
  'released',
  'dependency_added',
  'dependency_removed',
  'webhook_created',
  'webhook_updated',
  'webhook_deleted',
  'webhook_secret_rotated',
  'webhook_tested',
] as const;
export const AuditAction = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof AuditAction>;

/** Who made a change: a person, an agent, or the system itself (the lease sweeper). */
export const AuditActorType = z.enum([...ActorType.options, 'system']);
export type AuditActorType = z.infer<typeof AuditActorType>;

export const AuditEntrySchema = z.object({
  id: z.number().int().positive(),
  task_id: Id.nullable(),
  project_slug: z.string().nullable(),
  actor_id: z.string(),
  actor_type: AuditActorType,
  action: AuditAction,
  context: z.record(z.string(), z.unknown()),
  /** The client the change came through: web, cli, mcp, script, rest, trpc, or a caller's own name. */
  client: z.string().nullable(),
  created_at: Timestamp,
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const AuditListInput = z.strictObject({
  task_id: Id,
  limit: z.number().int().min(1).max(200).default(50),
  offset: z.number().int().min(0).max(1_000_000).default(0),
  cursor: Cursor.nullish(),
});
