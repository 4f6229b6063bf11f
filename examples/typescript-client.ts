/**
 * TaskFlow from TypeScript with @taskflow/client: every procedure, input and
 * output typed by the API's own router.
 *
 *   pnpm --filter @taskflow/examples typescript-client      (against `pnpm start`)
 *
 * Credentials, first found: TASKFLOW_API_KEY (an agent's key), TASKFLOW_TOKEN (a
 * bearer token), else TASKFLOW_EMAIL / TASKFLOW_PASSWORD, signing that person up
 * on first use. TASKFLOW_URL and TASKFLOW_AUTH_URL name the API and the identity service.
 */
import {
  createTaskflowClient,
  describeFailure,
  sessionToken,
  type TaskflowClientOptions,
} from '@taskflow/client';

const env = process.env;
const url = env.TASKFLOW_URL ?? 'http://localhost:8000';
const authUrl = env.TASKFLOW_AUTH_URL ?? 'http://localhost:3001';

/** Signs in (or up, the first time) and returns the session cookie. */
async function session(email: string, password: string): Promise<string> {
  const post = (path: string, body: Record<string, string>) =>
    fetch(`${authUrl}${path}`, {
      method: 'POST',
      // Node's fetch says it is a browser-like client (sec-fetch-mode), so Better Auth asks
      // for an Origin: its own is the honest one.
      headers: { 'content-type': 'application/json', origin: new URL(authUrl).origin },
      body: JSON.stringify(body),
    });
  let res = await post('/api/auth/sign-in/email', { email, password });
  if (res.status === 401)
    res = await post('/api/auth/sign-up/email', { email, password, name: 'Example' });
  if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return res.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

async function credentials(): Promise<Pick<TaskflowClientOptions, 'apiKey' | 'authUrl' | 'token'>> {
  if (env.TASKFLOW_API_KEY) return { apiKey: env.TASKFLOW_API_KEY, authUrl };
  if (env.TASKFLOW_TOKEN) return { token: env.TASKFLOW_TOKEN };
  const cookie = await session(
    env.TASKFLOW_EMAIL ?? 'example@example.com',
    env.TASKFLOW_PASSWORD ?? 'change-me-please',
  );
  // Trades the session for short-lived JWTs, renewed before they expire.
  return { token: sessionToken(authUrl, cookie) };
}

const taskflow = createTaskflowClient({
  url,
  ...(await credentials()),
  clientName: 'typescript-example',
});

const me = await taskflow.workers.me.query();
console.log(`signed in as ${me.name} (${me.type})`);
const task = await taskflow.tasks.create.mutate({
  title: 'Try TaskFlow from TypeScript',
  priority: 'high',
});
console.log(`created task ${task.id} in project ${task.project_slug}`);
await taskflow.tasks.start.mutate({ id: task.id });
const moved = await taskflow.tasks.progress.mutate({ id: task.id, percent: 50, note: 'halfway' });
console.log(`task ${moved.id}: ${moved.status}, ${moved.progress_percent}%`);

// Lists come a page at a time: { items, next_cursor }. Pass next_cursor back as `cursor`
// (same filters) until it is null; pages hold still while others add tasks.
const mine: string[] = [];
let cursor: string | undefined;
do {
  const page = await taskflow.tasks.list.query({
    status: 'in_progress',
    assigned_to: 'me',
    limit: 50,
    ...(cursor && { cursor }),
  });
  mine.push(...page.items.map((t) => t.title));
  cursor = page.next_cursor ?? undefined;
} while (cursor);
console.log(`in progress, assigned to me: ${mine.join(', ')}`);
const trail = (await taskflow.audit.list.query({ task_id: task.id })).items;
for (const row of trail)
  console.log(`  ${row.created_at}  ${row.action} by ${row.actor_type} via ${row.client}`);

// A refusal arrives as an error with the API's status, code and message.
try {
  await taskflow.tasks.start.mutate({ id: task.id });
} catch (error) {
  const failure = describeFailure(error);
  console.log(`starting it again: ${failure.status} ${failure.code}: ${failure.message}`);
}
