import {
  moveEffects,
  type Task,
  type TaskAction,
  type TaskCounts,
  TRANSITIONS,
} from '@taskflow/contracts';

export interface MoveInput {
  percent?: number;
  note?: string;
  reason?: string;
}

/** What the task will look like if the server accepts the move: shown at once, rolled back on refusal. */
export function optimisticTask(
  task: Task,
  action: TaskAction,
  input: MoveInput,
  actorId: string,
): Task {
  const now = new Date().toISOString();
  return {
    ...task,
    ...moveEffects(action, task, input, actorId, now),
    version: task.version + 1,
    updated_at: now,
  };
}

/** The board's filters, as the list query takes them. */
export interface BoardFilters {
  project_slug?: string;
  priority?: Task['priority'];
  /** The caller's id when "assigned to me" is on. */
  assigned_to?: string;
  /** Part of the title, as the search box has it. */
  q?: string;
}

export function matchesFilters(task: Task, filters: BoardFilters): boolean {
  return (
    (!filters.project_slug || task.project_slug === filters.project_slug) &&
    (!filters.priority || task.priority === filters.priority) &&
    (!filters.assigned_to || task.assigned_to === filters.assigned_to) &&
    (!filters.q || task.title.toLowerCase().includes(filters.q.toLowerCase()))
  );
}

/**
 * One column's pages with the task moved: taken out wherever it was, put at
 * the top if it now belongs to this column.
 */
export function placeInColumn(
  pages: Task[][],
  task: Task,
  columnStatus: Task['status'],
  filters: BoardFilters,
): Task[][] {
  const without = pages.map((page) => page.filter((t) => t.id !== task.id));
  if (task.status !== columnStatus || !matchesFilters(task, filters)) return without;
  const [first = [], ...rest] = without;
  return [[task, ...first], ...rest];
}

/** The counts with the task moved from its column to the one its move leads to. */
export function movedCounts(
  counts: TaskCounts,
  from: Task,
  to: Task,
  filters: BoardFilters,
): TaskCounts {
  if (from.status === to.status || !matchesFilters(from, filters)) return counts;
  return { ...counts, [from.status]: counts[from.status] - 1, [to.status]: counts[to.status] + 1 };
}

export function actionLabel(action: TaskAction): string {
  return TRANSITIONS[action].label;
}
