import type { ChangeEvent } from '@taskflow/contracts';
import type { DB, Kysely } from '@taskflow/db';

/** Who reads the feed. */
export interface Viewer {
  id: string;
  is_admin: boolean;
}

/**
 * Which projects each reader belongs to, cached per reader. Membership changes are
 * themselves events: the hub drops a reader's entry when it reads one that concerns
 * them, so joining or leaving takes effect on streams that are already open.
 */
/** Readers remembered at most; past it the cache starts over (it is only a cache). */
const MAX_ENTRIES = 10_000;

export class MembershipCache {
  private readonly entries = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(private readonly db: Kysely<DB>) {}

  slugsOf(workerId: string): Promise<ReadonlySet<string>> {
    let entry = this.entries.get(workerId);
    if (!entry) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      entry = this.db
        .selectFrom('project_members')
        .innerJoin('projects', 'projects.id', 'project_members.project_id')
        .select('projects.slug')
        .where('project_members.worker_id', '=', workerId)
        .execute()
        .then((rows) => new Set(rows.map((r) => r.slug)));
      this.entries.set(workerId, entry);
      // A failed load is not cached.
      entry.catch(() => {
        if (this.entries.get(workerId) === entry) this.entries.delete(workerId);
      });
    }
    return entry;
  }

  /** Drops a reader's entry: their memberships changed, or they stopped streaming. */
  invalidate(workerId: string): void {
    this.entries.delete(workerId);
  }

  /**
   * Admins see every event. Others see the events of their projects; an event with no
   * project (worker registrations and renames) is for admins only: it names a worker,
   * not a project's work, and no project's membership decides who may know of it.
   */
  async visible(viewer: Viewer, event: ChangeEvent): Promise<boolean> {
    if (viewer.is_admin) return true;
    if (event.project_slug === null) return false;
    return (await this.slugsOf(viewer.id)).has(event.project_slug);
  }
}
