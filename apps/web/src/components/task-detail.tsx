import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { AuditEntry, Task } from '@taskflow/contracts';
import { useState } from 'react';
import { toProblem } from '../lib/errors';
import { useTRPC, useTRPCClient } from '../lib/trpc';
import { ActionBar } from './action-bar';
import { ActorBadge, PriorityChip, ProgressBar, STATUS_LABELS } from './badges';
import { useBoard } from './board-context';
import { Dialog } from './dialog';
import { Dependencies } from './task-dependencies';
import { TaskForm } from './task-form';

const ACTION_WORDS: Record<string, string> = {
  created: 'created the task',
  updated: 'edited it',
  assigned: 'changed the assignee',
  deleted: 'deleted it',
  started: 'started it',
  progress: 'reported progress',
  submitted_for_review: 'submitted it for review',
  changes_requested: 'requested changes',
  completed: 'completed it',
  reopened: 'reopened it',
  blocked: 'blocked it',
  unblocked: 'unblocked it',
  dependency_added: 'made it wait for',
  dependency_removed: 'stopped it waiting for',
};

function describeContext(entry: AuditEntry): string {
  const c = entry.context as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof c.percent === 'number') parts.push(`${c.percent}%`);
  if (typeof c.note === 'string') parts.push(`“${c.note}”`);
  if (typeof c.reason === 'string') parts.push(`reason: “${c.reason}”`);
  if (typeof c.depends_on_id === 'number') parts.push(`task ${c.depends_on_id}`);
  if (entry.action === 'assigned') parts.push(`${c.from ?? 'nobody'} → ${c.to ?? 'nobody'}`);
  if (entry.action === 'updated' && c.changes && typeof c.changes === 'object')
    parts.push(Object.keys(c.changes).join(', '));
  return parts.join(' · ');
}

function AuditTrail({ taskId }: { taskId: number }) {
  const trpc = useTRPC();
  const { workers } = useBoard();
  const client = useTRPCClient();
  // Oldest first, a page at a time by keyset cursor. Not trpc's infiniteQueryOptions:
  // it adds a `direction` field the strict list inputs refuse. Under the procedure's
  // path key, so invalidating audit.list refreshes it.
  const trail = useInfiniteQuery({
    queryKey: [...trpc.audit.list.pathKey(), { task_id: taskId, type: 'infinite' }],
    queryFn: ({ pageParam }) =>
      client.audit.list.query({
        task_id: taskId,
        limit: 100,
        ...(pageParam !== undefined && { cursor: pageParam }),
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  if (trail.isPending) return <p className="muted">Loading history…</p>;
  if (trail.isError) return <p role="alert">{toProblem(trail.error).message}</p>;
  const entries = trail.data.pages.flatMap((page) => page.items);
  return (
    <>
      <ol className="audit" data-testid="audit-trail">
        {entries.map((entry) => (
          <li key={entry.id} data-action={entry.action}>
            <span className="audit-who">
              {workers.get(entry.actor_id)?.name ?? entry.actor_id}{' '}
              <ActorBadge type={entry.actor_type} />
            </span>{' '}
            <span className="audit-what">{ACTION_WORDS[entry.action] ?? entry.action}</span>{' '}
            <span className="audit-context">{describeContext(entry)}</span>
            {entry.client && <span className="muted audit-via">via {entry.client}</span>}
            <time dateTime={entry.created_at}>{new Date(entry.created_at).toLocaleString()}</time>
          </li>
        ))}
      </ol>
      {trail.hasNextPage && (
        <button
          type="button"
          className="load-more"
          disabled={trail.isFetchingNextPage}
          onClick={() => void trail.fetchNextPage()}
        >
          {trail.isFetchingNextPage ? 'Loading…' : 'More history'}
        </button>
      )}
    </>
  );
}

function Subtasks({ task, onAdd }: { task: Task; onAdd: () => void }) {
  const trpc = useTRPC();
  const { setView } = useBoard();
  const subtasks = useQuery(
    trpc.tasks.list.queryOptions({
      parent_id: task.id,
      limit: 100,
      sort_by: 'created_at',
      sort_order: 'asc',
    }),
  );
  return (
    <section aria-labelledby="subtasks-title">
      <div className="section-header">
        <h3 id="subtasks-title">Subtasks</h3>
        <button type="button" onClick={onAdd}>
          Add subtask
        </button>
      </div>
      {subtasks.isPending && <p className="muted">Loading…</p>}
      {subtasks.isSuccess && subtasks.data.items.length === 0 && (
        <p className="muted">No subtasks</p>
      )}
      <ul className="subtasks" data-testid="subtasks">
        {subtasks.data?.items.map((s) => (
          <li key={s.id}>
            <button type="button" className="link" onClick={() => setView({ task: s.id })}>
              {s.title}
            </button>{' '}
            <span className={`status status-${s.status}`}>{STATUS_LABELS[s.status]}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function TaskBody({
  t,
  onEdit,
  onAddSubtask,
}: {
  t: Task;
  onEdit: () => void;
  onAddSubtask: () => void;
}) {
  const { workers, setView } = useBoard();
  const assignee = t.assigned_to ? workers.get(t.assigned_to) : undefined;
  return (
    <div className="detail" data-testid="task-detail">
      <p className="detail-meta">
        <span className={`status status-${t.status}`} data-testid="detail-status">
          {STATUS_LABELS[t.status]}
        </span>
        <PriorityChip priority={t.priority} />
        <span className="project-slug">{t.project_slug}</span>
        {t.parent_id && (
          <button
            type="button"
            className="link"
            onClick={() => setView({ task: t.parent_id ?? undefined })}
          >
            Parent task
          </button>
        )}
      </p>
      <p>
        Assignee:{' '}
        {t.assigned_to ? (
          <>
            {assignee?.name ?? t.assigned_to} <ActorBadge type={assignee?.type} />
          </>
        ) : (
          'nobody'
        )}
        {t.due_date && <> · Due {new Date(t.due_date).toLocaleDateString()}</>}
      </p>
      {t.blocked_reason && <p className="notice">Blocked: {t.blocked_reason}</p>}
      {t.waiting_for.length > 0 && (
        <p className="notice" data-testid="waiting-notice">
          Waits for unfinished {t.waiting_for.length === 1 ? 'task' : 'tasks'}{' '}
          {t.waiting_for.map((id) => `#${id}`).join(', ')}: it cannot start before{' '}
          {t.waiting_for.length === 1 ? 'it is' : 'they are'} completed.
        </p>
      )}
      <ProgressBar percent={t.progress_percent} label="Progress" />
      <p className="muted">{t.progress_percent}% done</p>
      {t.description ? (
        <p className="description">{t.description}</p>
      ) : (
        <p className="muted">No description</p>
      )}
      {t.tags.length > 0 && (
        <p className="tags">
          {t.tags.map((tag) => (
            <span key={tag} className="chip">
              #{tag}
            </span>
          ))}
        </p>
      )}
      <ActionBar task={t} />
      <p>
        <button type="button" onClick={onEdit}>
          Edit
        </button>
      </p>
      <Subtasks task={t} onAdd={onAddSubtask} />
      <Dependencies task={t} />
      <section aria-labelledby="history-title">
        <h3 id="history-title">History</h3>
        <AuditTrail taskId={t.id} />
      </section>
    </div>
  );
}

export function TaskDetail({ id, onClose }: { id: number; onClose: () => void }) {
  const trpc = useTRPC();
  const task = useQuery(trpc.tasks.get.queryOptions({ id }));
  const [editing, setEditing] = useState<'edit' | 'subtask' | null>(null);
  // One dialog through loading and loaded, so focus goes back where it came from on close.
  return (
    <>
      <Dialog title={task.data?.title ?? 'Task'} onClose={onClose} wide>
        {task.isSuccess ? (
          <TaskBody
            t={task.data}
            onEdit={() => setEditing('edit')}
            onAddSubtask={() => setEditing('subtask')}
          />
        ) : task.isError ? (
          <p role="alert">{toProblem(task.error).message}</p>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </Dialog>
      {editing === 'edit' && task.data && (
        <TaskForm task={task.data} onClose={() => setEditing(null)} />
      )}
      {editing === 'subtask' && task.data && (
        <TaskForm parent={task.data} onClose={() => setEditing(null)} />
      )}
    </>
  );
}
