import { availableActions, type Task, type TaskAction } from '@taskflow/contracts';
import { type FormEvent, useState } from 'react';
import { toProblem } from '../lib/errors';
import { FIELD_LABELS, formFor } from '../lib/move-form';
import { actionLabel, type MoveInput } from '../lib/optimistic';
import { useBoard } from './board-context';
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

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!asking) return;
    const data = new FormData(event.currentTarget);
    const text = String(data.get('text') ?? '').trim();
    const { number, text: textField } = formFor(asking) ?? {};
    // Field names come from the move's schema, which MoveInput mirrors.
    run(asking, {
      ...(number && { [number.name]: Number(data.get('number')) }),
      ...(textField && text && { [textField.name]: text }),
    } as MoveInput);
  };

  const form = asking ? formFor(asking) : undefined;
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
      {asking && form && (
        <form
          className="action-form"
          onSubmit={submit}
          aria-label={actionLabel(asking)}
          // The user just asked for this form: take them to its first field.
          ref={(form) => form?.querySelector('input')?.focus()}
        >
          {form.number && (
            <label>
              {FIELD_LABELS[form.number.name] ?? form.number.name}
              <input
                name="number"
                type="number"
                min={0}
                max={100}
                step={1}
                defaultValue={task.progress_percent}
                required={form.number.required}
              />
            </label>
          )}
          {form.text && (
            <label>
              {FIELD_LABELS[form.text.name] ?? form.text.name}
              {form.text.required ? '' : ' (optional)'}
              <input name="text" required={form.text.required} maxLength={2000} />
            </label>
          )}
          <button type="submit" className="primary">
            {actionLabel(asking)}
          </button>
        </form>
      )}
    </div>
  );
}
