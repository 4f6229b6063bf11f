import { availableActions, type Task, type TaskAction } from '@taskflow/contracts';
import { type FormEvent, useState } from 'react';
import { toProblem } from '../lib/errors';
import { actionLabel } from '../lib/optimistic';
import { useBoard } from './board-context';
import { useMoveTask } from './use-move-task';

/** Moves that need words (or a number) before they can be made. */
const NEEDS_INPUT: Partial<Record<TaskAction, 'progress' | 'note' | 'reason'>> = {
  progress: 'progress',
  requestChanges: 'note',
  reopen: 'note',
  block: 'reason',
};

/** Only the moves the shared transition table allows this user to make now. */
export function ActionBar({ task }: { task: Task }) {
  const { me } = useBoard();
  const move = useMoveTask(me.id);
  const [asking, setAsking] = useState<TaskAction | null>(null);
  const actions = availableActions(task, { id: me.id, is_admin: me.role === 'admin' });

  const run = (
    action: TaskAction,
    input: { percent?: number; note?: string; reason?: string } = {},
  ) => {
    setAsking(null);
    move.mutate({ action, task, input });
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!asking) return;
    const data = new FormData(event.currentTarget);
    const text = String(data.get('text') ?? '').trim();
    if (asking === 'progress')
      run('progress', { percent: Number(data.get('percent')), ...(text && { note: text }) });
    else if (asking === 'block') run('block', { reason: text });
    else run(asking, { note: text });
  };

  const kind = asking ? NEEDS_INPUT[asking] : undefined;
  return (
    <div className="actions">
      {actions.length === 0 && <p className="muted">No moves available to you on this task.</p>}
      <div className="action-buttons">
        {actions.map((action) => (
          <button
            key={action}
            type="button"
            className={action === 'start' || action === 'complete' ? 'primary' : ''}
            disabled={move.isPending}
            aria-expanded={NEEDS_INPUT[action] ? asking === action : undefined}
            onClick={() =>
              NEEDS_INPUT[action] ? setAsking(asking === action ? null : action) : run(action)
            }
          >
            {actionLabel(action)}
          </button>
        ))}
      </div>
      {move.isError && (
        <p className="field-error" role="alert" data-testid="move-error">
          {toProblem(move.error).message}
        </p>
      )}
      {asking && kind && (
        <form
          className="action-form"
          onSubmit={submit}
          aria-label={actionLabel(asking)}
          // The user just asked for this form: take them to its first field.
          ref={(form) => form?.querySelector('input')?.focus()}
        >
          {kind === 'progress' && (
            <label>
              Percent done
              <input
                name="percent"
                type="number"
                min={0}
                max={100}
                step={1}
                defaultValue={task.progress_percent}
                required
              />
            </label>
          )}
          <label>
            {kind === 'reason' ? 'Reason' : kind === 'progress' ? 'Note (optional)' : 'Note'}
            <input name="text" required={kind !== 'progress'} maxLength={2000} />
          </label>
          <button type="submit" className="primary">
            {actionLabel(asking)}
          </button>
        </form>
      )}
    </div>
  );
}
