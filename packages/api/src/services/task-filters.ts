import { TASK_PRIORITIES, type taskFilterFields } from '@taskflow/contracts';
import { type DB, type Expression, type ExpressionBuilder, type SqlBool, sql } from '@taskflow/db';
import type { z } from 'zod';
import type { Actor } from './actor';
import { readyCondition } from './dependency-sql';
import { likePattern } from './like-pattern';

export type TaskFilters = z.output<z.ZodObject<typeof taskFilterFields>>;

/**
 * The WHERE of tasks.list and tasks.counts (visibility and project aside: task-scope
 * resolves those first): one place, so a column's count is always of the cards the same
 * filters list.
 */
export function taskFilter(actor: Actor, filters: TaskFilters) {
  return (eb: ExpressionBuilder<DB, 'tasks'>): Expression<SqlBool> => {
    const conditions: Expression<SqlBool>[] = [];
    if (filters.assigned_to) {
      const worker = filters.assigned_to === 'me' ? actor.id : filters.assigned_to;
      conditions.push(eb('tasks.assigned_to', '=', worker));
    }
    if (filters.parent_id !== undefined) {
      conditions.push(
        filters.parent_id === 0
          ? eb('tasks.parent_id', 'is', null)
          : eb('tasks.parent_id', '=', filters.parent_id),
      );
    }
    if (filters.priority) {
      conditions.push(eb('tasks.priority_rank', '=', TASK_PRIORITIES.indexOf(filters.priority)));
    }
    if (filters.tag) conditions.push(sql<boolean>`tasks.tags @> array[${filters.tag}]::text[]`);
    if (filters.has_due_date !== undefined) {
      conditions.push(eb('tasks.due_date', filters.has_due_date ? 'is not' : 'is', null));
    }
    if (filters.q) conditions.push(eb('tasks.title', 'ilike', likePattern(filters.q)));
    if (filters.ready !== undefined) {
      conditions.push(filters.ready ? readyCondition(eb) : eb.not(readyCondition(eb)));
    }
    return eb.and(conditions);
  };
}
