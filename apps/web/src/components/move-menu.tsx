import { TASK_STATUSES, type Task } from '@taskflow/contracts';
import { actionLabel } from '../lib/optimistic';
import { STATUS_LABELS } from './badges';
import { useBoard } from './board-context';

/**
 * The keyboard's way to do what dragging does: the columns this card may move to now,
 * each named with the move it makes. Choosing one moves the card (or opens its form).
 */
export function MoveMenu({ task }: { task: Task }) {
  const { moves } = useBoard();
  const targets = TASK_STATUSES.flatMap((status) => {
    const action = moves.moveFor(task, status);
    return action ? [{ status, action }] : [];
  });
  if (targets.length === 0) return null;
  return (
    <select
      className="move-menu"
      aria-label={`Move “${task.title}” to…`}
      data-testid={`move-${task.id}`}
      value=""
      onChange={(e) => {
        const target = targets.find((t) => t.status === e.target.value);
        if (target) moves.moveTo(task, target.status);
      }}
    >
      <option value="">Move to…</option>
      {targets.map(({ status, action }) => (
        <option key={status} value={status}>
          {STATUS_LABELS[status]} ({actionLabel(action)})
        </option>
      ))}
    </select>
  );
}
