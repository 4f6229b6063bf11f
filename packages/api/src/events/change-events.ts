import type { ChangeEvent, ChangeFilter } from '@taskflow/contracts';
import type { AuditRow, DB, Kysely } from '@taskflow/db';
import { selectTasks } from '../services/access';
import { iso, toTask } from '../services/rows';

/**
 * What an event's context may show every reader of its project. A webhook's URL may carry
 * credentials (userinfo, a token in the path or query), and only owners and admins read
 * webhooks; the audit row keeps it, the feed leaves it out.
 */
function feedContext(action: string, context: AuditRow['context']): AuditRow['context'] {
  if (!action.startsWith('webhook_') || !('url' in context)) return context;
  const { url: _, ...rest } = context;
  return rest;
}

/** Audit rows as change events, each with its task as it stands now (one query for all). */
export async function toChangeEvents(db: Kysely<DB>, rows: AuditRow[]): Promise<ChangeEvent[]> {
  const taskIds = [...new Set(rows.map((r) => r.task_id).filter((id): id is number => id != null))];
  const tasks = taskIds.length
    ? new Map(
        (await selectTasks(db).where('tasks.id', 'in', taskIds).execute()).map((t) => [
          t.id,
          toTask(t),
        ]),
      )
    : new Map();
  return rows.map((row) => ({
    id: Number(row.id),
    task_id: row.task_id,
    project_slug: row.project_slug,
    actor_id: row.actor_id,
    actor_type: row.actor_type,
    action: row.action,
    context: feedContext(row.action, row.context),
    client: row.client,
    created_at: iso(new Date(row.created_at)),
    task: (row.task_id != null && tasks.get(row.task_id)) || null,
  }));
}

export function matchesFilter(event: ChangeEvent, filter: ChangeFilter): boolean {
  if (filter.project_slug !== undefined && event.project_slug !== filter.project_slug) return false;
  if (filter.task_id !== undefined && event.task_id !== filter.task_id) return false;
  return true;
}

/** The actions that change who belongs to a project. */
export const MEMBERSHIP_ACTIONS = ['member_added', 'member_removed', 'project_created'] as const;

/** The worker whose memberships an event changes, if any. */
export function membershipChangeOf(event: ChangeEvent): string | undefined {
  if (event.action === 'member_added' || event.action === 'member_removed') {
    const worker = event.context.worker_id;
    return typeof worker === 'string' ? worker : undefined;
  }
  // The creator of a project becomes its owner.
  if (event.action === 'project_created') return event.actor_id;
  return undefined;
}
