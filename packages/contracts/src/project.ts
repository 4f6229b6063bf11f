import { z } from 'zod';
import { Cursor, Id, LIMITS, Slug, Text, Timestamp, WorkerId } from './common';
import { ActorType, MemberRole } from './enums';
import { LeaseSeconds } from './lease';

const Name = Text.trim().min(1, { message: 'Name is required' }).max(LIMITS.nameMax);
const Description = Text.max(LIMITS.descriptionMax);

export const ProjectSchema = z.object({
  id: Id,
  slug: z.string(),
  name: z.string(),
  description: z.string(),
  owner_id: z.string(),
  /** The caller's role, or null for an admin who is not a member. */
  role: MemberRole.nullable(),
  /** The lease a claim in this project holds, in seconds; null: the server's default. */
  default_lease_seconds: z.number().int().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Project = z.infer<typeof ProjectSchema>;

export const ProjectMemberSchema = z.object({
  worker_id: z.string(),
  name: z.string(),
  type: ActorType,
  role: MemberRole,
  created_at: Timestamp,
});
export type ProjectMember = z.infer<typeof ProjectMemberSchema>;

export const ProjectDetailSchema = ProjectSchema.extend({
  members: z.array(ProjectMemberSchema),
});
export type ProjectDetail = z.infer<typeof ProjectDetailSchema>;

export const ProjectCreateInput = z.strictObject({
  slug: Slug,
  name: Name,
  description: Description.default(''),
  default_lease_seconds: LeaseSeconds.nullable().optional(),
});

export const ProjectSlugInput = z.strictObject({ slug: Slug });

export const ProjectUpdateInput = z
  .strictObject({
    slug: Slug,
    name: Name.optional(),
    description: Description.optional(),
    /** null goes back to the server's default. */
    default_lease_seconds: LeaseSeconds.nullable().optional(),
  })
  .refine(
    (v) =>
      v.name !== undefined || v.description !== undefined || v.default_lease_seconds !== undefined,
    { message: 'Nothing to update: send name, description or default_lease_seconds' },
  );

export const ProjectAddMemberInput = z.strictObject({
  slug: Slug,
  worker_id: WorkerId,
  role: MemberRole.default('member'),
});

export const ProjectRemoveMemberInput = z.strictObject({
  slug: Slug,
  worker_id: WorkerId,
});

export const ProjectListInput = z
  .strictObject({
    limit: z.number().int().min(1).max(LIMITS.pageMax).default(LIMITS.pageDefault),
    offset: z.number().int().min(0).max(LIMITS.offsetMax).default(0),
    cursor: Cursor.nullish(),
  })
  .default({ limit: LIMITS.pageDefault, offset: 0 });

export const MemberRemovedResult = z.object({
  slug: z.string(),
  worker_id: z.string(),
  removed: z.literal(true),
});
