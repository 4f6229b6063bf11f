import { z } from 'zod';
import { AuditEntrySchema } from './audit';
import { Id, Slug } from './common';
import { TaskSchema } from './task';

/** The feed's page bounds: one place for events.list, the REST history and catch-up reads. */
export const EVENT_LIMITS = { pageDefault: 100, pageMax: 500 } as const;

/** An audit id as a cursor: the feed resumes after it (0: from the start of the log). */
export const EventCursor = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * One change: the audit row, plus the task as it stands now (when the event was
 * read; null when the change has no task or the task has since been deleted).
 */
export const ChangeEventSchema = AuditEntrySchema.extend({
  task: TaskSchema.nullable(),
});
export type ChangeEvent = z.infer<typeof ChangeEventSchema>;

/** Which events a reader wants; absent filters match everything the reader may see. */
export const ChangeFilterInput = z.strictObject({
  project_slug: Slug.optional(),
  task_id: Id.optional(),
});
export type ChangeFilter = z.infer<typeof ChangeFilterInput>;

/** events.onChange: a live stream. `lastEventId` is what tRPC sends on reconnect (the last tracked id). */
export const ChangeStreamInput = ChangeFilterInput.extend({
  lastEventId: z
    .string()
    .regex(/^\d{1,15}$/, { message: 'Must be an event id' })
    .nullish(),
});
export type ChangeStreamInput = z.infer<typeof ChangeStreamInput>;

/** events.list: the settled events after a cursor, oldest first. */
export const ChangeListInput = ChangeFilterInput.extend({
  after: EventCursor.optional(),
  limit: z.number().int().min(1).max(EVENT_LIMITS.pageMax).default(EVENT_LIMITS.pageDefault),
});
export type ChangeListInput = z.input<typeof ChangeListInput>;

export const ChangePageSchema = z.object({
  items: z.array(ChangeEventSchema),
  /**
   * Pass as `after` for the next page. Everything up to it has been looked at (with
   * filters, it may be past the last item); when nothing newer has settled it equals
   * `after`: poll again later with it.
   */
  next_cursor: EventCursor,
});
export type ChangePage = z.infer<typeof ChangePageSchema>;
