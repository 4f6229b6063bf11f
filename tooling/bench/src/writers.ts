import { createTasks } from './api-data';
import { httpClient } from './http';

export interface WriteLoad {
  baseUrl: string;
  token: string;
  projectSlug: string;
  writers: number;
  /** Writes per second over all writers. */
  rate: number;
  seconds: number;
}

export interface WriteOutcome {
  writes: number;
  /** Answers outside 2xx (0: the socket failed). */
  failed: Record<number, number>;
  seconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Changes at a steady pace: each writer renames a task of its own (made first, so writers
 * never wait on each other's row lock) on a fixed schedule, `rate / writers` times a second;
 * a writer that falls behind sends its next one at once, and none starts after `seconds`.
 */
export async function writeSteadily(load: WriteLoad): Promise<WriteOutcome> {
  const send = httpClient(load.baseUrl, load.token, load.writers);
  const taskIds = await createTasks(send, load.projectSlug, load.writers, 'Bench feed task');
  const interval = (1000 * load.writers) / load.rate;
  const failed: Record<number, number> = {};
  let writes = 0;
  const started = performance.now();
  const deadline = started + load.seconds * 1000;
  await Promise.all(
    taskIds.map(async (taskId, i) => {
      for (let n = 0; ; n++) {
        const due = started + (i * interval) / load.writers + n * interval;
        // Behind schedule at the deadline: stop, so written/s is what the API took.
        if (due >= deadline || performance.now() >= deadline) return;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const answer = await send('PATCH', `/api/tasks/${taskId}`, {
          title: `Bench feed task ${i} rename ${n}`,
        });
        if (answer.status >= 200 && answer.status < 300) writes++;
        else failed[answer.status] = (failed[answer.status] ?? 0) + 1;
      }
    }),
  );
  return { writes, failed, seconds: (performance.now() - started) / 1000 };
}
