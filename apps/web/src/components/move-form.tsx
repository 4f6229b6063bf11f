import type { Task, TaskAction } from '@taskflow/contracts';
import type { FormEvent } from 'react';
import { FIELD_LABELS, formFor } from '../lib/move-form';
import { actionLabel, type MoveInput } from '../lib/optimistic';
import { Dialog } from './dialog';

interface MoveFormProps {
  task: Task;
  action: TaskAction;
  onSubmit: (input: MoveInput) => void;
}

/** The fields a move asks for (a reason, a note, a percentage), read off its row of MOVES. */
export function MoveForm({ task, action, onSubmit }: MoveFormProps) {
  const form = formFor(action);
  if (!form) return null;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const text = String(data.get('text') ?? '').trim();
    // Field names come from the move's schema, which MoveInput mirrors.
    onSubmit({
      ...(form.number && { [form.number.name]: Number(data.get('number')) }),
      ...(form.text && text && { [form.text.name]: text }),
    } as MoveInput);
  };
  return (
    <form
      className="action-form"
      onSubmit={submit}
      aria-label={actionLabel(action)}
      // The user just asked for this form: take them to its first field.
      ref={(element) => element?.querySelector('input')?.focus()}
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
        {actionLabel(action)}
      </button>
    </form>
  );
}

/** A move's form on its own, for a move asked for on the board (a drop, "Move to…"). */
export function MoveDialog({
  task,
  action,
  onSubmit,
  onClose,
}: MoveFormProps & { onClose: () => void }) {
  return (
    <Dialog title={`${actionLabel(action)}: ${task.title}`} onClose={onClose}>
      <MoveForm task={task} action={action} onSubmit={onSubmit} />
    </Dialog>
  );
}
