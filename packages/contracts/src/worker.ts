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

/** Whole addresses only: what an email search matches exactly (see WorkerListInput.q). */
export function isEmailAddress(value: string): boolean {
  return value.length >= 3 && value.length <= 320 && /^[^\s@]+@[^\s@]+$/.test(value);
}

export const WorkerListInput = z
  .strictObject({
    type: ActorType.optional(),
    /**
     * Part of a name, or a whole email address. An address also finds a worker who
     * shares no project with the caller (the caller knows it already: that is how
     * an owner adds someone new); names are searched among the workers listed anyway.
     */
    q: Text.trim().min(1).max(LIMITS.searchMax).optional(),
    project_slug: Slug.optional(),
    limit: z.number().int().min(1).max(LIMITS.pageMax).default(LIMITS.pageDefault),
    offset: z.number().int().min(0).max(LIMITS.offsetMax).default(0),
    cursor: Cursor.nullish(),
  })
  .default({ limit: LIMITS.pageDefault, offset: 0 });
