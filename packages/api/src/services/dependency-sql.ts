import { type DB, type ExpressionBuilder, sql } from '@taskflow/db';

// The SQL of task dependencies that reads share: kept apart from the service
// so that the access helpers and a claim query can use it without a cycle of imports.

/**
 * A task's edges as id arrays, read with the task in the same query. Only a task that
 * has edges (its counts, kept by a trigger) looks them up: each is one index lookup
 * (the primary key for blocked_by and waiting_for, task_dependencies_depends_on for
 * blocks), and most tasks have none.
 */
export function dependencyIds(_eb?: ExpressionBuilder<DB, 'tasks'>) {
  return [
    sql<
      number[]
    >`case when tasks.depends_on_count = 0 then '{}'::int[] else array(select d.depends_on_id from task_dependencies d where d.task_id = tasks.id order by d.depends_on_id) end`.as(
      'blocked_by',
    ),
    sql<
      number[]
    >`case when tasks.dependents_count = 0 then '{}'::int[] else array(select d.task_id from task_dependencies d where d.depends_on_id = tasks.id order by d.task_id) end`.as(
      'blocks',
    ),
    sql<
      number[]
    >`case when tasks.depends_on_count = 0 then '{}'::int[] else array(select d.depends_on_id from task_dependencies d join tasks dt on dt.id = d.depends_on_id where d.task_id = tasks.id and dt.status <> 'completed' order by d.depends_on_id) end`.as(
      'waiting_for',
    ),
  ];
}

/**
 * The one definition of "ready": pending, and every task it depends on completed.
 * Use it on any query over `tasks` (unaliased): `query.where(readyCondition)`;
 * tasks.list's `ready` filter and tasks.claimNext both do.
 */
export function readyCondition(eb: ExpressionBuilder<DB, 'tasks'>) {
  return eb.and([
    // Literal, not a parameter: only then can a generic plan use tasks_claim_queue (a
    // partial index on pending tasks), and PostgreSQL stop planning each claim afresh.
    eb('tasks.status', '=', sql.lit('pending')),
    eb.not(
      eb.exists(
        eb
          .selectFrom('task_dependencies')
          .innerJoin('tasks as dependency', 'dependency.id', 'task_dependencies.depends_on_id')
          .select('task_dependencies.depends_on_id')
          .whereRef('task_dependencies.task_id', '=', 'tasks.id')
          .where('dependency.status', '<>', 'completed'),
      ),
    ),
  ]);
}
