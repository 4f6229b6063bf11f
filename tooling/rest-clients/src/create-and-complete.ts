import createClient from 'openapi-fetch';
import type { paths } from './generated/taskflow-api';

/**
 * What a service in any language does with TaskFlow, here in TypeScript
 * through a client generated from /openapi.json (not the tRPC types):
 * create a task, start it, complete it.
 */
export async function createAndComplete(baseUrl: string, token: string, title: string) {
  const api = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${token}` } });

  const created = await api.POST('/api/tasks', { body: { title, priority: 'high' } });
  if (!created.data) throw new Error(`create failed: ${created.error?.error}`);
  const id = created.data.id;

  const started = await api.POST('/api/tasks/{id}/start', { params: { path: { id } } });
  if (started.data?.status !== 'in_progress')
    throw new Error(`start failed: ${started.error?.error}`);

  await api.POST('/api/tasks/{id}/progress', {
    params: { path: { id }, query: { percent: 90, note: 'nearly' } },
  });

  const completed = await api.POST('/api/tasks/{id}/complete', { params: { path: { id } } });
  if (!completed.data) throw new Error(`complete failed: ${completed.error?.error}`);
  return completed.data;
}

// The generated types catch mistakes before anything runs.
export function typeErrorsCaught(api: ReturnType<typeof createClient<paths>>) {
  // @ts-expect-error `titel` is not a field of the create body
  void api.POST('/api/tasks', { body: { titel: 'typo' } });
  // @ts-expect-error priority must be one of the enum values
  void api.POST('/api/tasks', { body: { title: 'x', priority: 'urgent' } });
  // @ts-expect-error there is no such path
  void api.GET('/api/taskz');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [baseUrl = 'http://127.0.0.1:8000', title = 'From the generated client'] =
    process.argv.slice(2);
  const token = process.env.TASKFLOW_TOKEN;
  if (!token) {
    console.error('Set TASKFLOW_TOKEN to a bearer token');
    process.exit(2);
  }
  createAndComplete(baseUrl, token, title).then(
    (task) => console.log(JSON.stringify(task)),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
