import { z } from 'zod';
import { Cursor, LIMITS, Slug, Text, Timestamp, WorkerId } from './common';
import { ActorType, UserRole } from './enums';

export const WorkerSchema = z.object({
  id: z.string(),
  type: ActorType,
  name: z.string(),
  created_at: Timestamp,
});
export type Worker = z.infer<typeof WorkerSchema>;

/** The caller: their worker record plus the role their token grants. */
export const MeSchema = WorkerSchema.extend({ role: UserRole });
export type Me = z.infer<typeof MeSchema>;

export const WorkerUpsertInput = z.strictObject({
  id: WorkerId,
  type: ActorType,
  name: Text.trim().min(1).max(LIMITS.nameMax),
});

export const WorkerListInput = z
  .strictObject({
    type: ActorType.optional(),
    project_slug: Slug.optional(),
    limit: z.number().int().min(1).max(LIMITS.pageMax).default(LIMITS.pageDefault),
    offset: z.number().int().min(0).max(LIMITS.offsetMax).default(0),
    cursor: Cursor.nullish(),
  })
  .default({ limit: LIMITS.pageDefault, offset: 0 });
