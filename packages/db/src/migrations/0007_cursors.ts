import type { Kysely } from 'kysely';
import { sql } from 'kysely';

// Keyset pages: every list's (sort column, id) order is an index, so a page deep into
// a list is an index range scan from the cursor, costing what the first page costs.
// Project-scoped task lists already have (project_id, column, id) from 0001, and the
// unscoped created_at order has tasks_created; these cover the rest.
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    sql`create index tasks_updated on tasks (updated_at, id)`,
    sql`create index tasks_due on tasks (due_date, id)`,
    sql`create index tasks_priority on tasks (priority_rank, id)`,
    sql`create index tasks_title on tasks (title, id)`,
    sql`create index projects_name on projects (name, id)`,
    sql`create index workers_name on workers (name, id)`,
  ])
    await statement.execute(db);
}
