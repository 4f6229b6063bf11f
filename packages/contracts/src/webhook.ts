import { z } from 'zod';
import { type AuditAction, AuditEntrySchema } from './audit';
import { Cursor, Id, LIMITS, Slug, Text, Timestamp } from './common';
import { TaskSchema } from './task';

/**
 * The event type a subscriber sees for each audit action, and filters on; null: never sent
 * (workers belong to no project, and a project's webhook settings are not announced to its
 * own endpoints).
 */
export const WEBHOOK_EVENT_OF: Record<AuditAction, string | null> = {
  created: 'task.created',
  updated: 'task.updated',
  assigned: 'task.assigned',
  deleted: 'task.deleted',
  started: 'task.started',
  progress: 'task.progress',
  submitted_for_review: 'task.submitted_for_review',
  changes_requested: 'task.changes_requested',
  completed: 'task.completed',
  reopened: 'task.reopened',
  blocked: 'task.blocked',
  unblocked: 'task.unblocked',
  released: 'task.released',
  dependency_added: 'task.dependency_added',
  dependency_removed: 'task.dependency_removed',
  project_created: 'project.created',
  project_updated: 'project.updated',
  member_added: 'project.member_added',
  member_removed: 'project.member_removed',
  worker_upserted: null,
  worker_registered: null,
  worker_renamed: null,
  worker_email_changed: null,
  webhook_created: null,
  webhook_updated: null,
  webhook_deleted: null,
  webhook_secret_rotated: null,
  // A test delivery goes to the one endpoint it was asked for, never fanned out.
  webhook_tested: null,
};

/** The type of the message `webhooks.test` sends. */
export const WEBHOOK_PING_EVENT = 'webhook.ping';

export const WEBHOOK_EVENT_TYPES = [
  ...new Set(Object.values(WEBHOOK_EVENT_OF).filter((t): t is string => t !== null)),
] as const;
export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES as [string, ...string[]]);

export const WebhookUrl = Text.trim()
  .min(1, { message: 'A URL is required' })
  .max(2048)
  .pipe(z.url({ protocol: /^https?$/, message: 'Must be an http or https URL' }));

const Events = z
  .array(WebhookEventType)
  .min(1, { message: 'Name at least one event type, or leave events out for all' })
  .max(64);

/** A subscription as listed: never its secret. */
export const WebhookSchema = z.object({
  id: Id,
  project_slug: z.string(),
  url: z.string(),
  /** null: every event type. */
  events: z.array(z.string()).nullable(),
  enabled: z.boolean(),
  disabled_at: Timestamp.nullable(),
  /** Why it was disabled (by its owner, or after failing deliveries). */
  disabled_reason: z.string().nullable(),
  consecutive_failures: z.number().int(),
  /** When the previous secret (during a rotation) stops signing; null: no rotation under way. */
  previous_secret_expires_at: Timestamp.nullable(),
  created_by: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Webhook = z.infer<typeof WebhookSchema>;

/** create and rotateSecret answer the secret, once. */
export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().describe('whsec_<base64>: shown only now; store it to verify signatures'),
});
export type WebhookWithSecret = z.infer<typeof WebhookWithSecretSchema>;

export const WebhookCreateInput = z.strictObject({
  project_slug: Slug,
  url: WebhookUrl,
  events: Events.nullish(),
});

export const WebhookIdInput = z.strictObject({ project_slug: Slug, id: Id });

export const WebhookUpdateInput = z
  .strictObject({
    project_slug: Slug,
    id: Id,
    url: WebhookUrl.optional(),
    /** null: every event type. */
    events: Events.nullable().optional(),
    /** true re-enables (clearing the failure count); false disables. */
    enabled: z.boolean().optional(),
  })
  .refine((v) => v.url !== undefined || v.events !== undefined || v.enabled !== undefined, {
    message: 'Nothing to update: send url, events or enabled',
  });

export const WebhookListInput = z.strictObject({
  project_slug: Slug,
  limit: z.number().int().min(1).max(LIMITS.pageMax).default(LIMITS.pageDefault),
  cursor: Cursor.nullish(),
});

export const WebhookDeletedResult = z.object({
  project_slug: z.string(),
  id: Id,
  deleted: z.literal(true),
});

export const WebhookDeliveriesInput = z.strictObject({
  project_slug: Slug,
  id: Id,
  limit: z.number().int().min(1).max(LIMITS.pageMax).default(LIMITS.pageDefault),
  cursor: Cursor.nullish(),
});

/** One attempt to deliver one message, newest first in the log. */
export const WebhookDeliverySchema = z.object({
  id: z.number().int().positive(),
  /** The webhook-id header: the same for every attempt at one message. */
  message_id: z.string(),
  audit_id: z.number().int().positive(),
  attempt: z.number().int().positive(),
  /** The endpoint's HTTP status; null when no response came (refused, timed out, blocked). */
  status_code: z.number().int().nullable(),
  duration_ms: z.number().int(),
  error: z.string().nullable(),
  created_at: Timestamp,
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

/** The body POSTed to an endpoint (Standard Webhooks' type / timestamp / data). */
export const WebhookMessageSchema = z.object({
  type: z.string(),
  timestamp: Timestamp,
  data: z.object({
    event: AuditEntrySchema,
    /** The task as it stands when delivered; null for project events or a deleted task. */
    task: TaskSchema.nullable(),
  }),
});
export type WebhookMessage = z.infer<typeof WebhookMessageSchema>;

export const WebhookTestResult = z.object({
  project_slug: z.string(),
  id: Id,
  /** The webhook-id of the ping, as the delivery log will show it. */
  message_id: z.string(),
  queued: z.literal(true),
});
