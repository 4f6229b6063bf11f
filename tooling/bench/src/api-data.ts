import type { Send } from './http';

/** Runs `run` over `items` with at most `concurrency` in flight. */
export async function inPool<T>(
  items: T[],
  concurrency: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await run(items[next++] as T);
    }),
  );
}

/** Creates `count` pending tasks in the project through the API; their ids. */
export async function createTasks(
  send: Send,
  projectSlug: string,
  count: number,
  title: string,
): Promise<number[]> {
  const ids: number[] = [];
  await inPool(
    Array.from({ length: count }, (_, i) => i),
    16,
    async (i) => {
      const answer = await send('POST', '/api/tasks', {
        title: `${title} ${i}`,
        project_slug: projectSlug,
      });
      const id = (answer.json as { id?: number } | null)?.id;
      if (answer.status !== 201 || typeof id !== 'number')
        throw new Error(`creating '${title} ${i}' answered ${answer.status}`);
      ids.push(id);
    },
  );
  return ids;
}

/** Each task's assignee as the API answers it (or "(HTTP status)" when it would not). */
export async function assigneesOf(send: Send, ids: number[]): Promise<Map<number, string | null>> {
  const found = new Map<number, string | null>();
  await inPool(ids, 8, async (id) => {
    const answer = await send('GET', `/api/tasks/${id}`);
    const task = answer.json as { assigned_to?: string | null } | null;
    found.set(id, answer.status === 200 ? (task?.assigned_to ?? null) : `(HTTP ${answer.status})`);
  });
  return found;
}
