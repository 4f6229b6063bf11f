import type { TaskStatus } from '@taskflow/contracts';
import type { DragEvent } from 'react';
import { toProblem } from '../lib/errors';
import type { BoardFilters } from '../lib/optimistic';
import { STATUS_LABELS } from './badges';
import { useBoard } from './board-context';
import { TaskCard } from './task-card';
import { useColumnTasks } from './use-board-data';

interface ColumnProps {
  status: TaskStatus;
  filters: BoardFilters;
  /** How many tasks the server holds for this column (undefined while loading). */
  count: number | undefined;
}

/** One status column, and a place to drop a card: it takes the card if a move leads here. */
export function Column({ status, filters, count }: ColumnProps) {
  const { moves } = useBoard();
  const query = useColumnTasks(status, filters);
  const tasks = query.data?.pages.flatMap((page) => page.items) ?? [];
  const headingId = `column-${status}`;
  const dragging = moves.dragging;
  const drop =
    dragging && dragging.status !== status
      ? moves.moveFor(dragging, status)
        ? 'allowed'
        : 'refused'
      : undefined;

  const onDragOver = (e: DragEvent) => {
    if (!dragging) return;
    // Taking the drop even where no move leads, so the refusal is said rather than silent.
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    if (dragging) moves.moveTo(dragging, status);
    moves.setDragging(null);
  };

  return (
    <section
      className={`column column-${status}${drop ? ` drop-${drop}` : ''}`}
      aria-labelledby={headingId}
      data-testid={`column-${status}`}
      data-drop={drop}
      onDragOver={onDragOver}
      onDrop={onDrop}
    >
      <h2 id={headingId}>
        {STATUS_LABELS[status]}{' '}
        <span className="count" data-testid={`count-${status}`}>
          {count ?? ''}
        </span>
      </h2>
      {drop === 'refused' && <p className="drop-hint">No move leads here</p>}
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
          {query.isFetchingNextPage
            ? 'Loading…'
            : `Load more (${tasks.length} of ${count ?? '?'} shown)`}
        </button>
      )}
    </section>
  );
}
