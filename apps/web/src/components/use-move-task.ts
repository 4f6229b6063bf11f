import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Task, TaskAction } from '@taskflow/contracts';
import { toProblem } from '../lib/errors';
import { type MoveInput, optimisticTask } from '../lib/optimistic';
import { type Client, useTRPC, useTRPCClient } from '../lib/trpc';
import { useToast } from './toasts';
import {
  cancelBoardLoads,
  invalidateBoard,
  placeTaskOnBoard,
  restoreBoard,
  snapshotBoard,
} from './use-board-data';

function send(client: Client, action: TaskAction, task: Task, input: MoveInput) {
  // Moves are conditional on the version the user saw, except a claim: whoever
  // is first wins, and the loser hears why ("Cannot start task with status ...").
  const base =
    action === 'start' ? { id: task.id } : { id: task.id, expected_version: task.version };
  // Each procedure takes its MOVES row's schema; the form asked for exactly those fields.
  return client.tasks[action].mutate({ ...base, ...input } as never);
}

export interface MoveVariables {
  action: TaskAction;
  task: Task;
  input: MoveInput;
}

/**
 * A workflow move, shown at once and rolled back with the server's message
 * when it refuses (e.g. 409: someone else claimed the task first).
 */
export function useMoveTask(actorId: string) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: ({ action, task, input }: MoveVariables) => send(client, action, task, input),
    onMutate: async ({ action, task, input }) => {
      const detailKey = trpc.tasks.get.queryKey({ id: task.id });
      // A refetch landing after the optimistic change would put the card back.
      await cancelBoardLoads(queryClient);
      await queryClient.cancelQueries({ queryKey: detailKey });
      const board = snapshotBoard(queryClient);
      const detail = queryClient.getQueryData<Task>(detailKey);
      const next = optimisticTask(task, action, input, actorId);
      placeTaskOnBoard(queryClient, next, task);
      queryClient.setQueryData(detailKey, next);
      return { board, detail, detailKey };
    },
    onError: (error, _vars, context) => {
      if (context) {
        restoreBoard(queryClient, context.board);
        queryClient.setQueryData(context.detailKey, context.detail);
      }
      toast('error', toProblem(error).message);
    },
    onSettled: (_data, _error, { task }) => {
      void invalidateBoard(queryClient);
      void queryClient.invalidateQueries({ queryKey: trpc.tasks.get.queryKey({ id: task.id }) });
      void queryClient.invalidateQueries({ queryKey: trpc.audit.list.pathKey() });
      void queryClient.invalidateQueries({ queryKey: trpc.tasks.list.queryKey() });
    },
  });
}
