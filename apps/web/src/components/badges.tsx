import type { AuditActorType, TaskPriority, TaskStatus } from '@taskflow/contracts';

export const STATUS_LABELS: Record<TaskStatus, string> = {
  pending: 'Pending',
  in_progress: 'In progress',
  review: 'Review',
  completed: 'Completed',
  blocked: 'Blocked',
};

const ACTOR_TITLES: Record<AuditActorType, string> = {
  human: 'Person',
  agent: 'AI agent',
  system: 'TaskFlow itself (e.g. an expired lease)',
};

export function ActorBadge({ type }: { type: AuditActorType | undefined }) {
  if (!type) return null;
  return (
    <span className={`badge badge-${type}`} title={ACTOR_TITLES[type]}>
      {type}
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
