import type { Kysely } from 'kysely';
import { sql } from 'kysely';

// Each task counts its edges, kept by a trigger (so the cascade of a deleted task counts
// too). A read only looks up the edges of tasks that have some: most tasks have none,
// and three index lookups per row were a third of a list page's cost.
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of [
    sql`alter table tasks
      add column depends_on_count integer not null default 0 check (depends_on_count >= 0),
      add column dependents_count integer not null default 0 check (dependents_count >= 0)`,
    sql`update tasks set
      depends_on_count = (select count(*) from task_dependencies d where d.task_id = tasks.id),
      dependents_count = (select count(*) from task_dependencies d where d.depends_on_id = tasks.id)
      where exists (select 1 from task_dependencies d where d.task_id = tasks.id or d.depends_on_id = tasks.id)`,
    sql`create function task_dependencies_count() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          update tasks set depends_on_count = depends_on_count + 1 where id = new.task_id;
          update tasks set dependents_count = dependents_count + 1 where id = new.depends_on_id;
        else
          update tasks set depends_on_count = depends_on_count - 1 where id = old.task_id;
          update tasks set dependents_count = dependents_count - 1 where id = old.depends_on_id;
        end if;
        return null;
      end $$`,
    sql`create trigger task_dependencies_count after insert or delete on task_dependencies
      for each row execute function task_dependencies_count()`,
  ])
    await statement.execute(db);
}
