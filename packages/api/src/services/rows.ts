import type { Project, Task } from '@taskflow/contracts';
import type { ProjectRow, TaskRow } from '@taskflow/db';

export function iso(date: Date): string {
  return date.toISOString();
}

export function isoOrNull(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/** A task row as the API reads it: with its project's slug and its dependency edges. */
export type TaskWithSlug = TaskRow & {
  project_slug: string;
  blocked_by: number[];
  blocks: number[];
  waiting_for: number[];
};

/** The API's fields of a task row; anything else on it (a list's sort_key) stays behind, uncopied. */
export function toTask(row: TaskWithSlug): Task {
  return {
    id: row.id,
    project_id: row.project_id,
    project_slug: row.project_slug,
    title: row.title,
    description: row.description,
    status: row.status,
    priority: row.priority,
    progress_percent: row.progress_percent,
    tags: row.tags,
    due_date: isoOrNull(row.due_date),
    assigned_to: row.assigned_to,
    parent_id: row.parent_id,
    created_by: row.created_by,
    started_at: isoOrNull(row.started_at),
    completed_at: isoOrNull(row.completed_at),
    blocked_from: row.blocked_from,
    blocked_reason: row.blocked_reason,
    version: row.version,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    lease_expires_at: isoOrNull(row.lease_expires_at),
    claim_epoch: row.claim_epoch,
    blocked_by: row.blocked_by,
    blocks: row.blocks,
    waiting_for: row.waiting_for,
  };
}

export function toProject(row: ProjectRow, role: Project['role']): Project {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    owner_id: row.owner_id,
    role,
    default_lease_seconds: row.default_lease_seconds,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
