/**
 * Bulk-imports tasks from a JSON file: an array of task objects (the shape of
 * TaskCreate: title, description, priority, tags, due_date, project_slug, ...).
 *
 *   TASKFLOW_URL=http://localhost:8000 TASKFLOW_AUTH_URL=http://localhost:3001 \
 *   TASKFLOW_API_KEY=tf_... pnpm --filter @taskflow/examples bulk-import tasks.json
 *
 * Each task is validated with the API's own schema before anything is sent;
 * the import stops at the first invalid entry and reports it. Prints one JSON
 * line per created task, then a summary.
 */
import { readFileSync } from 'node:fs';
import { createTaskflowClient, describeFailure } from '@taskflow/client';
import { TaskCreateInput } from '@taskflow/contracts';

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: bulk-import.ts FILE.json');
    return 2;
  }
  const url = process.env.TASKFLOW_URL ?? 'http://localhost:8000';
  const token = process.env.TASKFLOW_TOKEN;
  const apiKey = process.env.TASKFLOW_API_KEY;
  if (!token && !apiKey) {
    console.error('Set TASKFLOW_TOKEN or TASKFLOW_API_KEY');
    return 3;
  }
  const entries: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(entries)) {
    console.error(`${file}: expected a JSON array of tasks`);
    return 2;
  }
  const tasks = entries.map((entry, i) => {
    const parsed = TaskCreateInput.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${file}[${i}]: ${issue?.path.join('.') || 'task'}: ${issue?.message}`);
    }
    return entry as Parameters<typeof taskflow.tasks.create.mutate>[0];
  });

  const taskflow = createTaskflowClient({
    url,
    ...(token
      ? { token }
      : { apiKey, authUrl: process.env.TASKFLOW_AUTH_URL ?? 'http://localhost:3001' }),
    clientName: 'bulk-import',
  });
  let created = 0;
  for (const task of tasks) {
    try {
      const saved = await taskflow.tasks.create.mutate(task);
      console.log(
        JSON.stringify({ id: saved.id, title: saved.title, project: saved.project_slug }),
      );
      created++;
    } catch (error) {
      const failure = describeFailure(error);
      console.error(`"${task.title}": ${failure.message}`);
      return 1;
    }
  }
  console.error(`imported ${created} task(s)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
