import type { Kysely } from 'kysely';
import { sql } from 'kysely';

// The second run of a due_date list: the undated rows, by id. (project_id, due_date, id)
// holds them together but the planner does not read `due_date is null` as an equality, so
// it sorted them all: 200,000 rows, 260 ms, for a page of a 500,000-task project without
// statistics (and with them, a walk of the primary key across every project). These give
// that run an index in its own order: per project, and across projects for admins.
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    sql`create index tasks_project_undated on tasks (project_id, id) where due_date is null`,
    sql`create index tasks_undated on tasks (id) where due_date is null`,
  ])
    await statement.execute(db);
}
