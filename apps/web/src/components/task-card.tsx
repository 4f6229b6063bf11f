import type { Task } from '@taskflow/contracts';
import { ActorBadge, PriorityChip, ProgressBar } from './badges';
import { useBoard } from './board-context';
import { LeaseLeft } from './lease';

export function TaskCard({ task }: { task: Task }) {
  const { workers, setView } = useBoard();
  const assignee = task.assigned_to ? workers.get(task.assigned_to) : undefined;
  return (
    <li>
      <button
        type="button"
        className="card"
        data-testid={`card-${task.id}`}
        onClick={() => setView({ task: task.id })}
      >
        <span className="card-title">{task.title}</span>
        <span className="card-meta">
          <PriorityChip priority={task.priority} />
          <span className="project-slug">{task.project_slug}</span>
          {task.status === 'in_progress' && task.lease_expires_at && (
            <LeaseLeft until={task.lease_expires_at} />
          )}
          {task.waiting_for.length > 0 && (
            <span
              className="chip waiting"
              data-testid={`waiting-${task.id}`}
              title={`Waits for ${task.waiting_for.map((id) => `#${id}`).join(', ')}`}
            >
              Waiting
            </span>
          )}
        </span>
        <span className="card-assignee">
          {task.assigned_to ? (
            <>
              {assignee?.name ?? task.assigned_to} <ActorBadge type={assignee?.type} />
            </>
          ) : (
            <span className="muted">Unassigned</span>
          )}
        </span>
        <ProgressBar percent={task.progress_percent} label={`Progress of ${task.title}`} />
      </button>
    </li>
  );
}
