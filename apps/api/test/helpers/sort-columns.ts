import type { TaskSortField } from '@taskflow/contracts';

/** The column each sort_by orders by, for tests that check a list against plain SQL. */
export const SORT_COLUMNS: Record<TaskSortField, string> = {
  created_at: 'created_at',
  updated_at: 'updated_at',
  due_date: 'due_date',
  priority: 'priority_rank',
  title: 'title',
};
