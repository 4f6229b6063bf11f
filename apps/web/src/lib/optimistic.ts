import { type Task, type TaskAction, TRANSITIONS, targetStatus } from '@taskflow/contracts';

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
  const status = targetStatus(action, task.blocked_from);
  const next: Task = { ...task, status, version: task.version + 1, updated_at: now };
  switch (action) {
    case 'start':
      next.assigned_to = actorId;
      next.started_at = task.started_at ?? now;
      break;
    case 'progress':
      next.progress_percent = input.percent ?? task.progress_percent;
      break;
    case 'complete':
      next.progress_percent = 100;
      next.completed_at = now;
      break;
    case 'reopen':
      next.completed_at = null;
      break;
    case 'block':
      next.blocked_from = task.status;
      next.blocked_reason = input.reason ?? null;
      break;
    case 'unblock':
      next.blocked_from = null;
      next.blocked_reason = null;
      break;
  }
  return next;
}

/** The board's filters, as the list query takes them. */
export interface BoardFilters {
  project_slug?: string;
  priority?: Task['priority'];
  /** The caller's id when "assigned to me" is on. */
  assigned_to?: string;
}

export function matchesFilters(task: Task, filters: BoardFilters): boolean {
  return (
    (!filters.project_slug || task.project_slug === filters.project_slug) &&
    (!filters.priority || task.priority === filters.priority) &&
    (!filters.assigned_to || task.assigned_to === filters.assigned_to)
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

export function actionLabel(action: TaskAction): string {
  return TRANSITIONS[action].label;
}
