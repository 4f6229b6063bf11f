import type { Kysely } from 'kysely';
import { sql } from 'kysely';

// Task dependencies: task_id waits for depends_on_id. Both tasks belong to one
// project (the API checks it; the composite foreign keys make it a rule of the data),
// an edge is stored once, and deleting either task drops its edges.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table task_dependencies (
    task_id integer not null,
    depends_on_id integer not null,
    project_id integer not null,
    created_at timestamptz not null default now(),
    created_by text not null references workers (id),
    primary key (task_id, depends_on_id),
    check (task_id <> depends_on_id),
    foreign key (task_id, project_id) references tasks (id, project_id) on delete cascade,
    foreign key (depends_on_id, project_id) references tasks (id, project_id) on delete cascade
  )`.execute(db);
  // "Which tasks wait for this one" (a task's blocks), and the cascade on delete.
  await sql`create index task_dependencies_depends_on on task_dependencies (depends_on_id, task_id)`.execute(
    db,
  );
}
