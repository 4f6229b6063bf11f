import type { Task } from '@taskflow/contracts';
import { ActorBadge, PriorityChip, ProgressBar } from './badges';
import { useBoard } from './board-context';
import { DependencyState, DueDate, TagList } from './card-chips';
import { LeaseLeft } from './lease';
import { MoveMenu } from './move-menu';

export function TaskCard({ task }: { task: Task }) {
  const { workers, setView, view, moves } = useBoard();
  const assignee = task.assigned_to ? workers.get(task.assigned_to) : undefined;
  return (
    <li
      className={moves.dragging?.id === task.id ? 'card-item dragging' : 'card-item'}
      data-testid={`card-item-${task.id}`}
      draggable
      onDragStart={(e) => {
        e.dataTransfer.setData('text/plain', String(task.id));
        e.dataTransfer.effectAllowed = 'move';
        moves.setDragging(task);
      }}
      onDragEnd={() => moves.setDragging(null)}
    >
      <button
        type="button"
        className="card"
        data-testid={`card-${task.id}`}
        onClick={() => setView({ task: task.id })}
      >
        <span className="card-title">{task.title}</span>
        <span className="card-meta">
          <PriorityChip priority={task.priority} />
          {/* With one project chosen, every card is of it: no need to say so on each. */}
          {!view.project && <span className="project-slug">{task.project_slug}</span>}
          <DueDate task={task} />
          {task.status === 'in_progress' && task.lease_expires_at && (
            <LeaseLeft until={task.lease_expires_at} />
          )}
          <DependencyState task={task} />
        </span>
        <TagList tags={task.tags} />
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
      <MoveMenu task={task} />
    </li>
  );
}
