import { useQuery } from '@tanstack/react-query';
import { TASK_PRIORITIES, TASK_STATUSES } from '@taskflow/contracts';
import { useCallback, useMemo, useState } from 'react';
import type { SessionUser } from '../lib/auth-client';
import { toProblem } from '../lib/errors';
import type { BoardFilters } from '../lib/optimistic';
import { useTRPC } from '../lib/trpc';
import { useLiveBoard } from '../lib/use-live-board';
import { useView } from '../lib/use-view';
import { AgentsDialog } from './agents-dialog';
import { ActorBadge, STATUS_LABELS } from './badges';
import { BoardContext } from './board-context';
import { Column } from './column';
import { LiveStatus } from './live-status';
import { MoveDialog } from './move-form';
import { MembersDialog, NewProjectDialog } from './project-dialog';
import { SearchBox } from './search-box';
import { TakeNextButton } from './take-next';
import { TaskDetail } from './task-detail';
import { TaskForm } from './task-form';
import { useBoardCounts } from './use-board-data';
import { useCardMoves } from './use-card-moves';

export function Board({ user, onSignOut }: { user: SessionUser; onSignOut: () => void }) {
  const trpc = useTRPC();
  const [view, setView] = useView();
  const live = useLiveBoard(view.project);
  const [dialog, setDialog] = useState<'task' | 'project' | 'members' | 'agents' | null>(null);
  const me = useQuery(trpc.workers.me.queryOptions());
  const projects = useQuery(trpc.projects.list.queryOptions({ limit: 100 }));
  const workers = useQuery(trpc.workers.list.queryOptions({ limit: 100 }));
  const workerMap = useMemo(
    () => new Map((workers.data?.items ?? []).map((w) => [w.id, w])),
    [workers.data],
  );
  const moves = useCardMoves(me.data);
  const filters: BoardFilters = {
    ...(view.project && { project_slug: view.project }),
    ...(view.priority && { priority: view.priority }),
    ...(view.mine && me.data && { assigned_to: me.data.id }),
    ...(view.q && { q: view.q }),
  };
  const counts = useBoardCounts(filters, { enabled: me.isSuccess });
  const search = useCallback((q: string | undefined) => setView({ q }, 'replace'), [setView]);

  if (me.isPending) return <p className="center muted">Loading your board…</p>;
  if (me.isError)
    return (
      <p className="center" role="alert">
        {toProblem(me.error).message}
      </p>
    );

  const statuses = view.status ? [view.status] : TASK_STATUSES;
  const currentProject = projects.data?.items.find((p) => p.slug === view.project);

  return (
    <BoardContext.Provider value={{ me: me.data, workers: workerMap, view, setView, moves }}>
      <header className="topbar">
        <h1 className="brand">TaskFlow</h1>
        <nav className="filters" aria-label="Board filters">
          <SearchBox value={view.q} onSearch={search} />
          <label>
            Project
            <select
              value={view.project ?? ''}
              onChange={(e) => setView({ project: e.target.value || undefined })}
            >
              <option value="">All projects</option>
              {projects.data?.items.map((p) => (
                <option key={p.slug} value={p.slug}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Status
            <select
              value={view.status ?? ''}
              onChange={(e) =>
                setView({ status: (e.target.value || undefined) as typeof view.status })
              }
            >
              <option value="">All statuses</option>
              {TASK_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABELS[s]}
                </option>
              ))}
            </select>
          </label>
          <label>
            Priority
            <select
              value={view.priority ?? ''}
              onChange={(e) =>
                setView({ priority: (e.target.value || undefined) as typeof view.priority })
              }
            >
              <option value="">Any priority</option>
              {TASK_PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={view.mine}
              onChange={(e) => setView({ mine: e.target.checked })}
            />
            Assigned to me
          </label>
        </nav>
        <div className="topbar-actions">
          <LiveStatus state={live} />
          <button type="button" className="primary" onClick={() => setDialog('task')}>
            New task
          </button>
          <TakeNextButton />
          <button type="button" onClick={() => setDialog('project')}>
            New project
          </button>
          {currentProject && (
            <button type="button" onClick={() => setDialog('members')}>
              Members
            </button>
          )}
          {me.data.role === 'admin' && (
            <button type="button" onClick={() => setDialog('agents')}>
              Agents
            </button>
          )}
          <span className="user" data-testid="current-user">
            {user.name} <ActorBadge type={me.data.type} />
            {me.data.role === 'admin' && <span className="badge">admin</span>}
          </span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main className="board" aria-label="Task board">
        {statuses.map((status) => (
          <Column key={status} status={status} filters={filters} count={counts.data?.[status]} />
        ))}
      </main>
      {view.task && (
        <TaskDetail key={view.task} id={view.task} onClose={() => setView({ task: undefined })} />
      )}
      {moves.asked && (
        <MoveDialog
          task={moves.asked.task}
          action={moves.asked.action}
          onSubmit={moves.submitAsked}
          onClose={moves.cancelAsked}
        />
      )}
      {dialog === 'task' && <TaskForm onClose={() => setDialog(null)} />}
      {dialog === 'project' && <NewProjectDialog onClose={() => setDialog(null)} />}
      {dialog === 'agents' && <AgentsDialog onClose={() => setDialog(null)} />}
      {dialog === 'members' && view.project && (
        <MembersDialog slug={view.project} onClose={() => setDialog(null)} />
      )}
    </BoardContext.Provider>
  );
}
