import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Task } from '@taskflow/contracts';
import { toProblem } from '../lib/errors';
import { useTRPC, useTRPCClient } from '../lib/trpc';
import { STATUS_LABELS } from './badges';
import { useBoard } from './board-context';
import { useToast } from './toasts';
import { invalidateBoard } from './use-board-data';

/** One dependency or dependent: its title and status when the project's list has it. */
function TaskLink({ id, known }: { id: number; known: Map<number, Task> }) {
  const { setView } = useBoard();
  const other = known.get(id);
  return (
    <>
      <button type="button" className="link" onClick={() => setView({ task: id })}>
        #{id} {other?.title}
      </button>{' '}
      {other && (
        <span className={`status status-${other.status}`}>{STATUS_LABELS[other.status]}</span>
      )}
    </>
  );
}

/** What the task waits for (add one, remove one) and what waits for it. */
export function Dependencies({ task }: { task: Task }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  // The project's tasks: titles and statuses for the lists, and the choices to add.
  const project = useQuery(
    trpc.tasks.list.queryOptions({
      project_slug: task.project_slug,
      limit: 100,
      sort_by: 'created_at',
      sort_order: 'desc',
    }),
  );
  const known = new Map((project.data?.items ?? []).map((t) => [t.id, t]));
  const refresh = (saved: Task) => {
    void invalidateBoard(queryClient);
    void queryClient.invalidateQueries({ queryKey: trpc.tasks.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.tasks.get.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.audit.list.pathKey() });
    queryClient.setQueryData(trpc.tasks.get.queryKey({ id: saved.id }), saved);
  };
  const add = useMutation({
    mutationFn: (depends_on_id: number) =>
      client.tasks.addDependency.mutate({ id: task.id, depends_on_id }),
    onSuccess: refresh,
    onError: (e) => toast('error', toProblem(e).message),
  });
  const remove = useMutation({
    mutationFn: (depends_on_id: number) =>
      client.tasks.removeDependency.mutate({ id: task.id, depends_on_id }),
    onSuccess: refresh,
    onError: (e) => toast('error', toProblem(e).message),
  });
  const choices = (project.data?.items ?? []).filter(
    (t) => t.id !== task.id && !task.blocked_by.includes(t.id),
  );
  const listId = `dependency-choices-${task.id}`;
  return (
    <section aria-labelledby="dependencies-title" data-testid="dependencies">
      <h3 id="dependencies-title">Waits for</h3>
      {task.blocked_by.length === 0 && <p className="muted">Nothing: it can start any time</p>}
      <ul className="subtasks" data-testid="waits-for">
        {task.blocked_by.map((id) => (
          <li key={id}>
            <TaskLink id={id} known={known} />{' '}
            <button
              type="button"
              onClick={() => remove.mutate(id)}
              aria-label={`Stop waiting for task ${id}`}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form
        className="form form-inline"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const id = Number(new FormData(form).get('depends_on_id'));
          if (Number.isInteger(id) && id > 0) add.mutate(id, { onSuccess: () => form.reset() });
          else toast('error', 'Pick a task of this project, or type its id');
        }}
      >
        <label>
          Add a task it waits for (id)
          <input
            name="depends_on_id"
            inputMode="numeric"
            list={listId}
            placeholder="Pick or type an id"
            required
          />
        </label>
        <datalist id={listId}>
          {choices.map((t) => (
            <option key={t.id} value={t.id}>
              {t.title}
            </option>
          ))}
        </datalist>
        <button type="submit" disabled={add.isPending}>
          Add dependency
        </button>
      </form>
      {task.blocks.length > 0 && (
        <>
          <h3>Blocks</h3>
          <ul className="subtasks" data-testid="blocks">
            {task.blocks.map((id) => (
              <li key={id}>
                <TaskLink id={id} known={known} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
