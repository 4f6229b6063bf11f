import { type MoveField, moveFields, type TaskAction } from '@taskflow/contracts';

/** How each field a move asks for is labelled. */
export const FIELD_LABELS: Record<string, string> = {
  percent: 'Percent done',
  note: 'Note',
  reason: 'Reason',
};

/**
 * The form a move asks for before it is made, read off its row of MOVES: a
 * number (percent) and a line of text. None when the move requires nothing.
 */
export function formFor(action: TaskAction): { number?: MoveField; text?: MoveField } | undefined {
  const fields = moveFields(action);
  if (!fields.some((f) => f.required)) return undefined;
  return {
    number: fields.find((f) => f.kind === 'number'),
    text: fields.find((f) => f.kind === 'text'),
  };
}
