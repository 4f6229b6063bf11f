/**
 * A due date given as a plain day is stored as midnight UTC of that day (see the
 * contracts' DueDate): such a task is due all that day, and late only once it is over.
 */
const DAY_MS = 24 * 60 * 60 * 1000;

function deadline(due: string): number {
  const at = Date.parse(due);
  return at % DAY_MS === 0 ? at + DAY_MS : at;
}

/** Past its due date and not completed. */
export function isOverdue(
  task: { due_date: string | null; status: string },
  now: number = Date.now(),
): boolean {
  return task.due_date !== null && task.status !== 'completed' && now >= deadline(task.due_date);
}

/** "Mar 4" (this year) or "Mar 4, 2027": short enough for a card. A plain day reads as that day in UTC. */
export function formatDue(due: string, now: Date = new Date()): string {
  const at = new Date(due);
  const dayOnly = at.getTime() % DAY_MS === 0;
  return at.toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
    ...(at.getFullYear() !== now.getFullYear() && { year: 'numeric' }),
    ...(dayOnly && { timeZone: 'UTC' }),
  });
}
