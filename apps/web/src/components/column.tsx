import { useInfiniteQuery } from '@tanstack/react-query';
import type { TaskStatus } from '@taskflow/contracts';
import { toProblem } from '../lib/errors';
import type { BoardFilters } from '../lib/optimistic';
import { useTRPCClient } from '../lib/trpc';
import { STATUS_LABELS } from './badges';
import { TaskCard } from './task-card';
import { BOARD_KEY } from './use-move-task';

export const PAGE_SIZE = 25;

/** One status column: pages of 25 by keyset cursor, loaded on demand, so thousands of tasks stay fast. */
export function Column({ status, filters }: { status: TaskStatus; filters: BoardFilters }) {
  const client = useTRPCClient();
  const query = useInfiniteQuery({
    queryKey: [BOARD_KEY, filters, status],
    queryFn: ({ pageParam }) =>
      client.tasks.list.query({
        ...filters,
        status,
        sort_by: 'updated_at',
        sort_order: 'desc',
        limit: PAGE_SIZE,
        ...(pageParam !== undefined && { cursor: pageParam }),
      }),
    // Keyset cursors: "Load more" neither repeats nor skips a card while others add tasks.
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const tasks = query.data?.pages.flatMap((page) => page.items) ?? [];
  const headingId = `column-${status}`;
  return (
    <section
      className={`column column-${status}`}
      aria-labelledby={headingId}
      data-testid={`column-${status}`}
    >
      <h2 id={headingId}>
        {STATUS_LABELS[status]}{' '}
        <span className="count">
          {query.isSuccess ? `${tasks.length}${query.hasNextPage ? '+' : ''}` : ''}
        </span>
      </h2>
      {query.isPending && (
        <p className="muted" aria-busy="true">
          Loading…
        </p>
      )}
      {query.isError && (
        <div className="error-state" role="alert">
          <p>{toProblem(query.error).message}</p>
          <button type="button" onClick={() => void query.refetch()}>
            Retry
          </button>
        </div>
      )}
      {query.isSuccess && tasks.length === 0 && <p className="muted empty">No tasks</p>}
      <ul className="cards">
        {tasks.map((task) => (
          <TaskCard key={task.id} task={task} />
        ))}
      </ul>
      {query.hasNextPage && (
        <button
          type="button"
          className="load-more"
          disabled={query.isFetchingNextPage}
          onClick={() => void query.fetchNextPage()}
        >
          {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
