import { z } from 'zod';
import {
  Cursor,
  Id,
  INT4_MAX,
  LIMITS,
  Limit,
  Note,
  Offset,
  OptionalTaskRef,
  OptionalWorkerRef,
  RequiredNote,
  Slug,
  Text,
  Timestamp,
  WorkerId,
} from './common';
import { SortOrder, TaskPriority, TaskSortField, TaskStatus } from './enums';
import { ClaimEpoch, LeaseSeconds } from './lease';

const Title = Text.trim()
  .min(1, { message: 'Title is required' })
  .max(LIMITS.titleMax, { message: `Title must be at most ${LIMITS.titleMax} characters` });

const Description = Text.max(LIMITS.descriptionMax)
  .nullable()
  .transform((v) => v ?? '');

const Tag = Text.trim().min(1).max(LIMITS.tagMax);

/** Tags are kept in the order given, without duplicates. */
const Tags = z
  .array(Tag)
  .max(LIMITS.tagsMax)
  .transform((tags) => [...new Set(tags)]);

const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * A full ISO timestamp, or a plain date meaning midnight UTC of that day,
 * within the years 1..9999 (UTC) that PostgreSQL and ISO-8601 clients share.
 */
const DueDate = z
  .union([Timestamp, z.iso.date(), z.null()])
  .transform((v) => (v === null ? null : new Date(v.length === 10 ? `${v}T00:00:00Z` : v)))
  .refine((d) => d === null || (d.getTime() >= EARLIEST && d.getTime() <= LATEST), {
    message: 'Dates must fall between 0001-01-01 and 9999-12-31 (UTC)',
  })
  .transform((d) => d?.toISOString() ?? null);

const ExpectedVersion = z.number().int().positive().max(INT4_MAX);

export const TaskSchema = z.object({
  id: Id,
  project_id: Id,
  project_slug: z.string(),
  title: z.string(),
  description: z.string(),
  status: TaskStatus,
  priority: TaskPriority,
  progress_percent: z.number().int().min(0).max(100),
  tags: z.array(z.string()),
  due_date: Timestamp.nullable(),
  assigned_to: z.string().nullable(),
  parent_id: Id.nullable(),
  created_by: z.string(),
  started_at: Timestamp.nullable(),
  completed_at: Timestamp.nullable(),
  blocked_from: TaskStatus.nullable(),
  blocked_reason: z.string().nullable(),
  version: z.number().int().positive(),
  created_at: Timestamp,
  updated_at: Timestamp,
  /** When the holder's claim lapses unless a heartbeat or progress report extends it. */
  lease_expires_at: Timestamp.nullable(),
  /** Counts the claims: present it on moves so a lost claim cannot complete another's work. */
  claim_epoch: z.number().int().min(0),
  /** The tasks this one waits for (its dependencies, finished or not), by id. */
  blocked_by: z.array(Id),
  /** The tasks that wait for this one, by id. */
  blocks: z.array(Id),
  /** Those of blocked_by not completed yet: while any is left, the task cannot be started. */
  waiting_for: z.array(Id),
});
export type Task = z.infer<typeof TaskSchema>;

export const TaskCreateInput = z.strictObject({
  title: Title,
  description: Description.optional(),
  priority: TaskPriority.default('medium'),
  project_slug: Slug.optional(),
  parent_id: OptionalTaskRef.optional(),
  assigned_to: OptionalWorkerRef.optional(),
  tags: Tags.optional(),
  due_date: DueDate.optional(),
});
export type TaskCreateInput = z.input<typeof TaskCreateInput>;

export const TaskIdInput = z.strictObject({ id: Id });

const taskEditable = {
  title: Title.optional(),
  description: Description.optional(),
  priority: TaskPriority.optional(),
  parent_id: OptionalTaskRef.optional(),
  assigned_to: OptionalWorkerRef.optional(),
  tags: Tags.optional(),
  due_date: DueDate.optional(),
};
export const TASK_EDITABLE_FIELDS = Object.keys(taskEditable) as (keyof typeof taskEditable)[];

export const TaskUpdateInput = z
  .strictObject({
    id: Id,
    ...taskEditable,
    expected_version: ExpectedVersion.optional(),
  })
  .refine((v) => TASK_EDITABLE_FIELDS.some((f) => v[f] !== undefined), {
    message: `Nothing to update: send at least one of ${TASK_EDITABLE_FIELDS.join(', ')}`,
  });
export type TaskUpdateInput = z.input<typeof TaskUpdateInput>;

export const TaskAssignInput = z.strictObject({
  id: Id,
  /** A member of the task's project; null, "" or 0 unassigns. */
  worker_id: OptionalWorkerRef,
  expected_version: ExpectedVersion.optional(),
});

/**
 * Which tasks a list or a count covers: one definition, so a column's count and its
 * cards always agree on what they are of.
 */
export const taskFilterFields = {
  /** A worker id, or "me" for the caller. */
  assigned_to: WorkerId.optional(),
  project_slug: Slug.optional(),
  /** 0 lists top-level tasks only. */
  parent_id: z.number().int().min(0).max(INT4_MAX).optional(),
  priority: TaskPriority.optional(),
  tag: Text.trim().min(1).max(LIMITS.tagMax).optional(),
  has_due_date: z.boolean().optional(),
  q: Text.trim().min(1).max(LIMITS.searchMax).optional(),
  /** true: pending with every dependency completed (what can be started now); false: the rest. */
  ready: z.boolean().optional(),
};

export const TaskListInput = z
  .strictObject({
    status: TaskStatus.optional(),
    ...taskFilterFields,
    sort_by: TaskSortField.default('created_at'),
    sort_order: SortOrder.default('desc'),
    limit: Limit,
    offset: Offset,
    cursor: Cursor.nullish(),
  })
  .default({ sort_by: 'created_at', sort_order: 'desc', limit: LIMITS.pageDefault, offset: 0 });
export type TaskListInput = z.input<typeof TaskListInput>;

/** Counts per status of the tasks the same filters as tasks.list select. */
export const TaskCountsInput = z.strictObject(taskFilterFields).default({});
export type TaskCountsInput = z.input<typeof TaskCountsInput>;

export const TaskCountsSchema = z.object({
  pending: z.number().int().min(0),
  in_progress: z.number().int().min(0),
  review: z.number().int().min(0),
  completed: z.number().int().min(0),
  blocked: z.number().int().min(0),
  total: z.number().int().min(0),
});
export type TaskCounts = z.infer<typeof TaskCountsSchema>;

/** A delete, like every other change, can be made conditional on the version read. */
export const TaskDeleteInput = z.strictObject({
  id: Id,
  expected_version: ExpectedVersion.optional(),
});

/** Task `id` waits for (or no longer waits for) task `depends_on_id` of the same project. */
export const TaskDependencyInput = z.strictObject({
  id: Id,
  depends_on_id: Id,
  expected_version: ExpectedVersion.optional(),
});
export type TaskDependencyInput = z.input<typeof TaskDependencyInput>;

export const TaskDeleteResult = z.object({ id: Id, deleted: z.literal(true) });

// Workflow inputs. expected_version is optional everywhere: a client that
// read the task can make its move conditional on nobody having changed it since.
// claim_epoch: made under that claim only (409 if the task was claimed since).
const move = {
  id: Id,
  expected_version: ExpectedVersion.optional(),
  claim_epoch: ClaimEpoch.optional(),
};

export const TaskStartInput = z.strictObject({ ...move, lease_seconds: LeaseSeconds.optional() });
export const TaskProgressInput = z.strictObject({
  ...move,
  percent: z.number().int().min(0).max(100),
  note: Note.optional(),
});
export const TaskSubmitForReviewInput = z.strictObject({ ...move, note: Note.optional() });
export const TaskRequestChangesInput = z.strictObject({ ...move, note: RequiredNote });
export const TaskCompleteInput = z.strictObject({ ...move, note: Note.optional() });
export const TaskReopenInput = z.strictObject({ ...move, note: RequiredNote });
export const TaskBlockInput = z.strictObject({
  ...move,
  reason: Text.trim().min(1, { message: 'A reason is required' }).max(LIMITS.noteMax),
});
export const TaskUnblockInput = z.strictObject({ ...move, note: Note.optional() });
