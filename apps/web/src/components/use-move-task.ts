import { type InfiniteData, useMutation, useQueryClient } from '@tanstack/react-query';
import type { Page, Task, TaskAction, TaskCounts } from '@taskflow/contracts';
import { toProblem } from '../lib/errors';
import {
  type BoardFilters,
  type MoveInput,
  movedCounts,
  optimisticTask,
  placeInColumn,
} from '../lib/optimistic';
import { type Client, useTRPC, useTRPCClient } from '../lib/trpc';
import { useToast } from './toasts';
import { BOARD_KEY, COUNTS_KEY, invalidateBoard } from './use-board-data';

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
      await queryClient.cancelQueries({ queryKey: [BOARD_KEY] });
      await queryClient.cancelQueries({ queryKey: [COUNTS_KEY] });
      await queryClient.cancelQueries({ queryKey: detailKey });
      const boards = queryClient.getQueriesData<InfiniteData<Page<Task>>>({
        queryKey: [BOARD_KEY],
      });
      const detail = queryClient.getQueryData<Task>(detailKey);
      const next = optimisticTask(task, action, input, actorId);
      for (const [key, data] of boards) {
        if (!data) continue;
        const [, filters, status] = key as [string, BoardFilters, Task['status']];
        const placed = placeInColumn(
          data.pages.map((page) => page.items),
          next,
          status,
          filters,
        );
        queryClient.setQueryData<InfiniteData<Page<Task>>>(key, {
          ...data,
          pages: data.pages.map((page, n) => ({ ...page, items: placed[n] ?? [] })),
        });
      }
      const counts = queryClient.getQueriesData<TaskCounts>({ queryKey: [COUNTS_KEY] });
      for (const [key, data] of counts) {
        if (!data) continue;
        const [, filters] = key as [string, BoardFilters];
        queryClient.setQueryData<TaskCounts>(key, movedCounts(data, task, next, filters));
      }
      queryClient.setQueryData(detailKey, next);
      return { boards, counts, detail, detailKey };
    },
    onError: (error, _vars, context) => {
      if (context) {
        for (const [key, data] of context.boards) queryClient.setQueryData(key, data);
        for (const [key, data] of context.counts) queryClient.setQueryData(key, data);
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
