import {
  type Me,
  moveToStatus,
  type Task,
  type TaskAction,
  type TaskStatus,
} from '@taskflow/contracts';
import { useCallback, useState } from 'react';
import { formFor } from '../lib/move-form';
import type { MoveInput } from '../lib/optimistic';
import { STATUS_LABELS } from './badges';
import { useToast } from './toasts';
import { useMoveTask } from './use-move-task';

/** A move that waits for its form (a reason, a note) before it is made. */
export interface AskedMove {
  task: Task;
  action: TaskAction;
}

export interface CardMoves {
  /** The card being dragged, while it is: columns show whether they take it. */
  dragging: Task | null;
  setDragging: (task: Task | null) => void;
  /** The move that takes the task to this column, if the transition table allows one now. */
  moveFor: (task: Task, status: TaskStatus) => TaskAction | undefined;
  /** Makes that move, opens its form, or says (without asking the server) that none applies. */
  moveTo: (task: Task, status: TaskStatus) => void;
  asked: AskedMove | null;
  submitAsked: (input: MoveInput) => void;
  cancelAsked: () => void;
}

/** Moves asked for on the board itself: by dragging a card to a column, or with "Move to…". */
export function useCardMoves(me: Me | undefined): CardMoves {
  const move = useMoveTask(me?.id ?? '');
  const toast = useToast();
  const [dragging, setDragging] = useState<Task | null>(null);
  const [asked, setAsked] = useState<AskedMove | null>(null);

  const moveFor = useCallback(
    (task: Task, status: TaskStatus) =>
      me ? moveToStatus(task, status, { id: me.id, is_admin: me.role === 'admin' }) : undefined,
    [me],
  );

  const run = useCallback(
    (task: Task, action: TaskAction, input: MoveInput) =>
      move.mutate(
        { action, task, input },
        // Read out by screen readers (the toasts are a live region), and seen by everyone else.
        {
          onSuccess: (moved) =>
            toast('info', `Moved “${task.title}” to ${STATUS_LABELS[moved.status]}`),
        },
      ),
    [move, toast],
  );

  const moveTo = useCallback(
    (task: Task, status: TaskStatus) => {
      if (status === task.status) return;
      const action = moveFor(task, status);
      if (!action) {
        toast(
          'error',
          `“${task.title}” cannot move from ${STATUS_LABELS[task.status]} to ${STATUS_LABELS[status]}`,
        );
        return;
      }
      if (formFor(action)) setAsked({ task, action });
      else run(task, action, {});
    },
    [moveFor, run, toast],
  );

  return {
    dragging,
    setDragging,
    moveFor,
    moveTo,
    asked,
    submitAsked: (input) => {
      if (asked) run(asked.task, asked.action, input);
      setAsked(null);
    },
    cancelAsked: () => setAsked(null),
  };
}
