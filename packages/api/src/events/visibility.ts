import type { ChangeEvent } from '@taskflow/contracts';
import type { DB, Kysely } from '@taskflow/db';
import { membershipChangeOf } from './change-events';

/** Who reads the feed. */
export interface Viewer {
  id: string;
  is_admin: boolean;
}

/**
 * What one reader may see, judged event by event in id order. Membership changes are
 * themselves events: when one concerns the reader, their projects are read again
 * before that event is judged, so joining a project shows the joining and what follows
 * (not what came before it), and leaving stops delivery, on a stream already open.
 *
 * Admins see every event. Others see the events of their projects; an event with no
 * project (worker registrations and renames) is for admins only: it names a worker,
 * not a project's work, and no project's membership decides who may know of it.
 */
export class MembershipView {
  private slugs: Promise<ReadonlySet<string>> | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    readonly viewer: Viewer,
  ) {}

  /** The reader's projects as last read (read now if never). */
  projects(): Promise<ReadonlySet<string>> {
    if (!this.slugs) {
      const loading = this.db
        .selectFrom('project_members')
        .innerJoin('projects', 'projects.id', 'project_members.project_id')
        .select('projects.slug')
        .where('project_members.worker_id', '=', this.viewer.id)
        .execute()
        .then((rows): ReadonlySet<string> => new Set(rows.map((r) => r.slug)));
      this.slugs = loading;
      // A failed read is tried again next time.
      loading.catch(() => {
        if (this.slugs === loading) this.slugs = undefined;
      });
    }
    return this.slugs;
  }

  /** Judges events in id order: call it for every event the reader passes, visible or not. */
  async visible(event: ChangeEvent): Promise<boolean> {
    if (this.viewer.is_admin) return true;
    if (membershipChangeOf(event) === this.viewer.id) this.slugs = undefined;
    if (event.project_slug === null) return false;
    return (await this.projects()).has(event.project_slug);
  }
}
