import {
  LIMITS,
  TASK_PRIORITIES,
  TASK_STATUSES,
  type TaskPriority,
  type TaskStatus,
} from '@taskflow/contracts';

/** The board's view, kept in the URL so it can be shared and survives a reload. */
export interface BoardView {
  project?: string;
  status?: TaskStatus;
  priority?: TaskPriority;
  mine: boolean;
  /** Part of a title: the board's search box. */
  q?: string;
  task?: number;
}

function oneOf<T extends string>(values: readonly T[], value: string | null): T | undefined {
  return value !== null && (values as readonly string[]).includes(value) ? (value as T) : undefined;
}

export function parseView(search: string): BoardView {
  const p = new URLSearchParams(search);
  const task = Number(p.get('task'));
  const project = p.get('project');
  const q = p.get('q')?.trim().slice(0, LIMITS.searchMax);
  return {
    ...(project && /^[a-z0-9-]{1,64}$/.test(project) && { project }),
    ...(oneOf(TASK_STATUSES, p.get('status')) && { status: oneOf(TASK_STATUSES, p.get('status')) }),
    ...(oneOf(TASK_PRIORITIES, p.get('priority')) && {
      priority: oneOf(TASK_PRIORITIES, p.get('priority')),
    }),
    mine: p.get('mine') === '1',
    ...(q && { q }),
    ...(Number.isInteger(task) && task > 0 && { task }),
  };
}

export function serializeView(view: BoardView): string {
  const p = new URLSearchParams();
  if (view.project) p.set('project', view.project);
  if (view.status) p.set('status', view.status);
  if (view.priority) p.set('priority', view.priority);
  if (view.mine) p.set('mine', '1');
  if (view.q) p.set('q', view.q);
  if (view.task) p.set('task', String(view.task));
  const s = p.toString();
  return s ? `?${s}` : '';
}
