import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack';

describe('agents: API keys exchanged for tokens', () => {
  let s: Stack;
  let adminCookie: string;
  let adminToken: string;
  let userCookie: string;

  beforeAll(async () => {
    s = await startStack();
    adminCookie = (await s.signUp('admin@example.com', 'Ada Admin')).cookie;
    adminToken = await s.tokenFor(adminCookie);
    userCookie = (await s.signUp('user@example.com', 'Uma User')).cookie;
  });
  afterAll(() => s.stop());

  const createAgent = (headers: Record<string, string>, body: unknown = { name: 'Reviewer Bot' }) =>
    fetch(`${s.authUrl}/api/agents`, {
      method: 'POST',
      // What the web app's page sends: its own (trusted) Origin.
      headers: { 'content-type': 'application/json', origin: 'http://localhost:3000', ...headers },
      body: JSON.stringify(body),
    });
  const exchange = (key: string) =>
    fetch(`${s.authUrl}/api/agents/token`, { method: 'POST', headers: { 'x-api-key': key } });
  const api = (token: string, method: string, path: string, body?: unknown) =>
    fetch(`${s.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });

  it('only an admin creates agents', async () => {
    expect((await createAgent({})).status).toBe(401);
    const asUser = await createAgent({ cookie: userCookie });
    expect(asUser.status).toBe(403);
    expect(await asUser.json()).toMatchObject({ code: 'FORBIDDEN', status_code: 403 });
    expect((await createAgent({ cookie: adminCookie }, { name: '' })).status).toBe(400);
  });

  it('admin creates a key, the agent exchanges it, claims a task, and the trail says agent', async () => {
    const created = await createAgent({ authorization: `Bearer ${adminToken}` });
    expect(created.status).toBe(201);
    const { agent, api_key } = (await created.json()) as {
      agent: { id: string; type: string };
      api_key: string;
    };
    expect(agent.type).toBe('agent');
    expect(api_key).toMatch(/^tf_/);

    // The key is stored hashed, not as given.
    const stored = await s.database.db
      .selectFrom('apikey' as never)
      .select(['key' as never])
      .execute();
    expect(JSON.stringify(stored)).not.toContain(api_key);

    const exchanged = await exchange(api_key);
    expect(exchanged.status).toBe(200);
    const { token } = (await exchanged.json()) as { token: string };
    expect(decodeJwt(token)).toMatchObject({
      sub: agent.id,
      worker_type: 'agent',
      role: 'user',
      aud: 'taskflow-api',
      iss: s.authUrl,
      // The API caps a token's age from its iat, so it must be there.
      iat: expect.any(Number),
    });

    // The agent's first call registers it, as an agent.
    const me = await api(token, 'GET', '/api/workers/me');
    expect(await me.json()).toMatchObject({ id: agent.id, type: 'agent', name: 'Reviewer Bot' });

    // A person sets up a project and a task, and lets the agent in.
    const project = await api(adminToken, 'POST', '/api/projects', { slug: 'bots', name: 'Bots' });
    expect(project.status).toBe(201);
    expect(
      (await api(adminToken, 'PUT', `/api/projects/bots/members/${agent.id}`, {})).status,
    ).toBe(200);
    const task = (await (
      await api(adminToken, 'POST', '/api/tasks', { title: 'Review PR 42', project_slug: 'bots' })
    ).json()) as { id: number };

    const claimed = await api(token, 'POST', `/api/tasks/${task.id}/start`);
    expect(claimed.status).toBe(200);
    expect(await claimed.json()).toMatchObject({ status: 'in_progress', assigned_to: agent.id });
    const trail = (await (await api(adminToken, 'GET', `/api/tasks/${task.id}/audit`)).json()) as {
      action: string;
      actor_id: string;
      actor_type: string;
    }[];
    expect(trail.map((e) => [e.action, e.actor_type])).toEqual([
      ['created', 'human'],
      ['started', 'agent'],
    ]);
    expect(trail[1]?.actor_id).toBe(agent.id);
  });

  it('refuses a wrong key and a missing one', async () => {
    expect((await exchange('tf_not-a-real-key')).status).toBe(401);
    const missing = await fetch(`${s.authUrl}/api/agents/token`, { method: 'POST' });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({
      error: 'Send the API key in the x-api-key header',
    });
  });

  it('rate-limits key exchanges at 60 a minute instead of the default ten a day', async () => {
    const { api_key } = (await (
      await createAgent({ cookie: adminCookie }, { name: 'Busy Bot' })
    ).json()) as { api_key: string };
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 61; i++) {
      const res = await exchange(api_key);
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }
    // 60 a minute pass (the plugin's default would stop at 10 a day), the 61st is refused.
    expect(statuses.slice(0, 60).every((st) => st === 200)).toBe(true);
    expect(statuses[60]).toBe(429);
    // Like every other 429: when the window frees a slot, in whole seconds within the minute.
    const retryAfter = Number(refused?.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await refused?.json()).toMatchObject({ status_code: 429, code: 'TOO_MANY_REQUESTS' });
  });
});
