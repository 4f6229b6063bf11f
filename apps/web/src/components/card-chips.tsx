import type { Task } from '@taskflow/contracts';
import { formatDue, isOverdue } from '../lib/due-date';

const ids = (list: readonly number[]) => list.map((id) => `#${id}`).join(', ');

export function TagList({ tags }: { tags: readonly string[] }) {
  if (tags.length === 0) return null;
  return (
    <span className="tags" title="Tags">
      {tags.map((tag) => (
        <span key={tag} className="chip tag">
          {tag}
        </span>
      ))}
    </span>
  );
}

/** The due date; red once it has passed and the task is not completed. */
export function DueDate({ task }: { task: Task }) {
  if (!task.due_date) return null;
  const overdue = isOverdue(task);
  return (
    <span
      className={overdue ? 'chip due overdue' : 'chip due'}
      data-testid={`due-${task.id}`}
      title={new Date(task.due_date).toLocaleString()}
    >
      {overdue ? 'Overdue' : 'Due'} {formatDue(task.due_date)}
    </span>
  );
}

/** What the task waits for (blocked by N unfinished tasks) and what waits for it. */
export function DependencyState({ task }: { task: Task }) {
  const open = task.waiting_for.length;
  const done = task.blocked_by.length - open;
  return (
    <>
      {open > 0 && (
        <span
          className="chip waiting"
          data-testid={`waiting-${task.id}`}
          title={`Waits for ${ids(task.waiting_for)}`}
        >
          Waiting · blocked by {open}
        </span>
      )}
      {open === 0 && done > 0 && (
        <span
          className="chip deps-done"
          title={`Its dependencies are done: ${ids(task.blocked_by)}`}
        >
          Dependencies done
        </span>
      )}
      {task.blocks.length > 0 && (
        <span className="chip blocks" title={`Waited for by ${ids(task.blocks)}`}>
          Blocks {task.blocks.length}
        </span>
      )}
    </>
  );
}
