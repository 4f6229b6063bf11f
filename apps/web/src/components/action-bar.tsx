import { availableActions, type Task, type TaskAction } from '@taskflow/contracts';
import { useState } from 'react';
import { toProblem } from '../lib/errors';
import { formFor } from '../lib/move-form';
import { actionLabel, type MoveInput } from '../lib/optimistic';
import { useBoard } from './board-context';
import { MoveForm } from './move-form';
import { useMoveTask } from './use-move-task';

/** Only the moves the shared transition table allows this user to make now. */
export function ActionBar({ task }: { task: Task }) {
  const { me } = useBoard();
  const move = useMoveTask(me.id);
  const [asking, setAsking] = useState<TaskAction | null>(null);
  const actions = availableActions(task, { id: me.id, is_admin: me.role === 'admin' });

  const run = (action: TaskAction, input: MoveInput = {}) => {
    setAsking(null);
    move.mutate({ action, task, input });
  };

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
            aria-expanded={formFor(action) ? asking === action : undefined}
            onClick={() =>
              formFor(action) ? setAsking(asking === action ? null : action) : run(action)
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
      {asking && <MoveForm task={task} action={asking} onSubmit={(input) => run(asking, input)} />}
    </div>
  );
}
