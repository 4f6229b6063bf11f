import {
  type InfiniteData,
  type QueryClient,
  type QueryKey,
  useInfiniteQuery,
  useQuery,
} from '@tanstack/react-query';
import type { Page, Task, TaskCounts, TaskStatus } from '@taskflow/contracts';
import { type BoardFilters, movedCounts, placeInColumn } from '../lib/optimistic';
import { useTRPCClient } from '../lib/trpc';

/**
 * Everything the board loads lives under these two keys, so whatever learns of a
 * change (a move here, a live update later) refreshes or patches the board in one call:
 * columns are [BOARD_KEY, filters, status] (pages of tasks), counts [COUNTS_KEY, filters].
 */
export const BOARD_KEY = 'board';
export const COUNTS_KEY = 'board-counts';

export const PAGE_SIZE = 25;

/** One status column: pages of 25 by keyset cursor, loaded on demand, so thousands of tasks stay fast. */
export function useColumnTasks(status: TaskStatus, filters: BoardFilters) {
  const client = useTRPCClient();
  return useInfiniteQuery({
    queryKey: [BOARD_KEY, filters, status],
    queryFn: ({ pageParam, signal }) =>
      client.tasks.list.query(
        {
          ...filters,
          status,
          sort_by: 'updated_at',
          sort_order: 'desc',
          limit: PAGE_SIZE,
          ...(pageParam !== undefined && { cursor: pageParam }),
        },
        { signal },
      ),
    // Keyset cursors: "Load more" neither repeats nor skips a card while others add tasks.
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/** How many tasks each column holds on the server (not how many are loaded). */
export function useBoardCounts(filters: BoardFilters, options: { enabled: boolean }) {
  const client = useTRPCClient();
  return useQuery<TaskCounts>({
    ...options,
    queryKey: [COUNTS_KEY, filters],
    queryFn: ({ signal }) => client.tasks.counts.query(filters, { signal }),
  });
}

/** Refetch every column and count: after a move, or when something else changed the board. */
export function invalidateBoard(queryClient: QueryClient): Promise<void> {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: [BOARD_KEY] }),
    queryClient.invalidateQueries({ queryKey: [COUNTS_KEY] }),
  ]).then(() => undefined);
}

export async function cancelBoardLoads(queryClient: QueryClient): Promise<void> {
  await queryClient.cancelQueries({ queryKey: [BOARD_KEY] });
  await queryClient.cancelQueries({ queryKey: [COUNTS_KEY] });
}

type ColumnData = InfiniteData<Page<Task>>;

/**
 * Puts the task where it now belongs in every loaded column (out of the others), and,
 * given what it was before, moves it between the counts: a move's optimistic answer,
 * or a change heard from elsewhere.
 */
export function placeTaskOnBoard(queryClient: QueryClient, task: Task, before?: Task): void {
  for (const [key, data] of queryClient.getQueriesData<ColumnData>({ queryKey: [BOARD_KEY] })) {
    if (!data) continue;
    const [, filters, status] = key as [string, BoardFilters, TaskStatus];
    const placed = placeInColumn(
      data.pages.map((page) => page.items),
      task,
      status,
      filters,
    );
    queryClient.setQueryData<ColumnData>(key, {
      ...data,
      pages: data.pages.map((page, n) => ({ ...page, items: placed[n] ?? [] })),
    });
  }
  if (!before) return;
  for (const [key, data] of queryClient.getQueriesData<TaskCounts>({ queryKey: [COUNTS_KEY] })) {
    if (!data) continue;
    const [, filters] = key as [string, BoardFilters];
    queryClient.setQueryData<TaskCounts>(key, movedCounts(data, before, task, filters));
  }
}

export type BoardSnapshot = [QueryKey, unknown][];

/** The board's loaded columns and counts as they are, for a rollback. */
export function snapshotBoard(queryClient: QueryClient): BoardSnapshot {
  return [
    ...queryClient.getQueriesData({ queryKey: [BOARD_KEY] }),
    ...queryClient.getQueriesData({ queryKey: [COUNTS_KEY] }),
  ];
}

export function restoreBoard(queryClient: QueryClient, snapshot: BoardSnapshot): void {
  for (const [key, data] of snapshot) queryClient.setQueryData(key, data);
}
