import type { ActorType, TaskPriority, TaskStatus } from '@taskflow/contracts';

export const STATUS_LABELS: Record<TaskStatus, string> = {
  pending: 'Pending',
  in_progress: 'In progress',
  review: 'Review',
  completed: 'Completed',
  blocked: 'Blocked',
};

export function ActorBadge({ type }: { type: ActorType | undefined }) {
  if (!type) return null;
  return (
    <span className={`badge badge-${type}`} title={type === 'agent' ? 'AI agent' : 'Person'}>
      {type === 'agent' ? 'agent' : 'human'}
    </span>
  );
}

export function PriorityChip({ priority }: { priority: TaskPriority }) {
  return <span className={`chip priority-${priority}`}>{priority}</span>;
}

export function ProgressBar({ percent, label }: { percent: number; label: string }) {
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
    >
      <div className="progress-fill" style={{ width: `${percent}%` }} />
    </div>
  );
}
