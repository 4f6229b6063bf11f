import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack';

const WEB = 'http://localhost:3000';

interface AgentKey {
  id: string;
  start: string | null;
  expires_at: string | null;
  expired: boolean;
}
interface ListedAgent {
  id: string;
  name: string;
  keys: AgentKey[];
}

describe("agents' API keys: only agents exchange them, only admins manage them", () => {
  let s: Stack;
  let admin: { cookie: string; userId: string };
  let adminToken: string;
  let person: { cookie: string; userId: string };

  beforeAll(async () => {
    s = await startStack();
    admin = await s.signUp('admin@example.com', 'Ada Admin');
    adminToken = await s.tokenFor(admin.cookie);
    person = await s.signUp('person@example.com', 'Pete Person');
  });
  afterAll(() => s.stop());

  const call = (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<Response> =>
    fetch(`${s.authUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  /** As the web app calls: the session cookie, from a trusted page. */
  const asAdmin = (method: string, path: string, body?: unknown) =>
    call(method, path, { cookie: admin.cookie, origin: WEB }, body);
  const exchange = (key: string) =>
    fetch(`${s.authUrl}/api/agents/token`, { method: 'POST', headers: { 'x-api-key': key } });
  const newAgent = async (name: string, expiresInDays?: number) => {
    const res = await asAdmin('POST', '/api/agents', {
      name,
      ...(expiresInDays && { expires_in_days: expiresInDays }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { agent: { id: string }; api_key: string; key: AgentKey };
  };

  it("refuses a person's key at the token exchange", async () => {
    // A key for a person (as Better Auth's own endpoint used to mint them).
    const key = await s.auth.auth.api.createApiKey({ body: { userId: person.userId } });
    const res = await exchange(key.key);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      code: 'FORBIDDEN',
      error: "Only an agent's API key exchanges for a token",
    });
  });

  it("closes Better Auth's own key endpoints, to people and admins alike", async () => {
    for (const cookie of [person.cookie, admin.cookie]) {
      const headers = { cookie, origin: WEB };
      expect(
        (await call('POST', '/api/auth/api-key/create', headers, { name: 'mine' })).status,
      ).toBe(404);
      expect((await call('GET', '/api/auth/api-key/list', headers)).status).toBe(404);
      expect((await call('GET', '/api/auth/api-key/get?id=x', headers)).status).toBe(404);
      expect((await call('POST', '/api/auth/api-key/update', headers, { keyId: 'x' })).status).toBe(
        404,
      );
      expect((await call('POST', '/api/auth/api-key/delete', headers, { keyId: 'x' })).status).toBe(
        404,
      );
    }
  });

  it('lets an admin list agents and their keys, issue another key and revoke one', async () => {
    const { agent, api_key: first } = await newAgent('Deploy Bot');
    const listed = (await (await asAdmin('GET', '/api/agents')).json()) as ListedAgent[];
    const mine = listed.find((a) => a.id === agent.id);
    expect(mine?.name).toBe('Deploy Bot');
    expect(mine?.keys).toHaveLength(1);
    expect(first.startsWith(mine?.keys[0]?.start ?? '-')).toBe(true);
    // The key itself is never shown again.
    expect(JSON.stringify(listed)).not.toContain(first);

    const issued = await asAdmin('POST', `/api/agents/${agent.id}/keys`, { expires_in_days: 30 });
    expect(issued.status).toBe(201);
    const second = (await issued.json()) as { api_key: string; key: AgentKey };
    expect(Date.parse(second.key.expires_at ?? '') - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const keys = (await (
      await asAdmin('GET', `/api/agents/${agent.id}/keys`)
    ).json()) as AgentKey[];
    expect(keys.map((k) => k.id)).toEqual([mine?.keys[0]?.id, second.key.id]);

    expect((await exchange(first)).status).toBe(200);
    const revoked = await asAdmin('DELETE', `/api/agents/${agent.id}/keys/${keys[0]?.id}`);
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toEqual({
      revoked: true,
      agent_id: agent.id,
      key_id: keys[0]?.id,
    });
    expect((await exchange(first)).status).toBe(401);
    expect((await exchange(second.api_key)).status).toBe(200);
    const after = (await (
      await asAdmin('GET', `/api/agents/${agent.id}/keys`)
    ).json()) as AgentKey[];
    expect(after.map((k) => k.id)).toEqual([second.key.id]);
  });

  it('refuses an expired key', async () => {
    const { agent, api_key, key } = await newAgent('Short Lived', 1);
    expect((await exchange(api_key)).status).toBe(200);
    // A day later (the clock moved on; the key did not).
    await s.database.db
      .updateTable('apikey' as never)
      .set({ expiresAt: new Date(Date.now() - 1_000) } as never)
      .where('id' as never, '=', key.id as never)
      .execute();
    expect((await exchange(api_key)).status).toBe(401);
    const keys = (await (
      await asAdmin('GET', `/api/agents/${agent.id}/keys`)
    ).json()) as AgentKey[];
    expect(keys.every((k) => k.expired)).toBe(true);
  });

  it('answers 404 for what is not an agent or not its key, 403 to non-admins', async () => {
    const { agent } = await newAgent('Lonely Bot');
    const other = await newAgent('Other Bot');
    expect((await asAdmin('GET', `/api/agents/${person.userId}/keys`)).status).toBe(404);
    expect((await asAdmin('GET', '/api/agents/no-such-agent/keys')).status).toBe(404);
    expect((await asAdmin('DELETE', `/api/agents/${agent.id}/keys/${other.key.id}`)).status).toBe(
      404,
    );
    expect((await asAdmin('DELETE', `/api/agents/${agent.id}/keys/nope`)).status).toBe(404);
    expect((await exchange(other.api_key)).status).toBe(200);

    const asPerson = { cookie: person.cookie, origin: WEB };
    expect((await call('GET', '/api/agents', asPerson)).status).toBe(403);
    expect((await call('POST', `/api/agents/${agent.id}/keys`, asPerson, {})).status).toBe(403);
    expect(
      (await call('DELETE', `/api/agents/${agent.id}/keys/${other.key.id}`, asPerson)).status,
    ).toBe(403);
    expect((await call('GET', '/api/agents', {})).status).toBe(401);
    // An agent's own token is no admin's either.
    const agentToken = ((await (await exchange(other.api_key)).json()) as { token: string }).token;
    expect(
      (await call('GET', '/api/agents', { authorization: `Bearer ${agentToken}` })).status,
    ).toBe(403);
  });

  it('takes cookie-carried changes only from a trusted Origin, and only as JSON', async () => {
    const { agent, key } = await newAgent('Guarded Bot');
    const evil = { cookie: admin.cookie, origin: 'https://evil.example' };
    const noOrigin = { cookie: admin.cookie };
    for (const headers of [evil, noOrigin]) {
      const created = await call('POST', '/api/agents', headers, { name: 'CSRF Bot' });
      expect(created.status).toBe(403);
      expect(await created.json()).toMatchObject({ code: 'FORBIDDEN', status_code: 403 });
      expect((await call('POST', `/api/agents/${agent.id}/keys`, headers, {})).status).toBe(403);
      expect((await call('DELETE', `/api/agents/${agent.id}/keys/${key.id}`, headers)).status).toBe(
        403,
      );
    }
    expect((await call('GET', '/api/agents', evil)).status).toBe(403);
    // A same-origin page's GET carries no Origin header at all.
    expect((await call('GET', '/api/agents', noOrigin)).status).toBe(200);

    // What a cross-site <form> can send: urlencoded (or multipart, or text/plain).
    for (const type of [
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
    ]) {
      const form = await fetch(`${s.authUrl}/api/agents`, {
        method: 'POST',
        headers: { cookie: admin.cookie, origin: WEB, 'content-type': type },
        body: 'name=Form+Bot',
      });
      expect(form.status).toBe(415);
      expect(await form.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
    const untyped = await fetch(`${s.authUrl}/api/agents/${agent.id}/keys`, {
      method: 'POST',
      headers: { cookie: admin.cookie, origin: WEB },
      body: '{}',
    });
    expect(untyped.status).toBe(415);

    // A bearer token is not sent by browsers on their own: no Origin needed.
    const bearer = { authorization: `Bearer ${adminToken}` };
    expect((await call('POST', '/api/agents', bearer, { name: 'Script Bot' })).status).toBe(201);
    expect((await call('DELETE', `/api/agents/${agent.id}/keys/${key.id}`, bearer)).status).toBe(
      200,
    );
    // Nothing the refused requests asked for happened.
    const names = ((await (await asAdmin('GET', '/api/agents')).json()) as ListedAgent[]).map(
      (a) => a.name,
    );
    expect(names).not.toContain('CSRF Bot');
    expect(names).not.toContain('Form Bot');
  });

  it('answers bad input with 4xx, never 500', async () => {
    const { agent } = await newAgent('Fuzz Target');
    const raw = (method: string, path: string, body: string, extra: Record<string, string> = {}) =>
      fetch(`${s.authUrl}${path}`, {
        method,
        headers: {
          cookie: admin.cookie,
          origin: WEB,
          'content-type': 'application/json',
          ...extra,
        },
        body,
      }).then((r) => r.status);
    for (const body of ['{', 'null', '[]', '"text"', '42', '{"name": 7}', '{"name":"x","extra":1}'])
      expect(await raw('POST', '/api/agents', body), body).toBe(400);
    expect(await raw('POST', '/api/agents', JSON.stringify({ name: 'x'.repeat(70_000) }))).toBe(
      413,
    );
    for (const body of [
      '{"expires_in_days": 0}',
      '{"expires_in_days": 1.5}',
      '{"expires_in_days": "9"}',
    ])
      expect(await raw('POST', `/api/agents/${agent.id}/keys`, body), body).toBe(400);
    expect(await raw('DELETE', `/api/agents/${agent.id}/keys/${'k'.repeat(200)}`, '')).toBe(404);
    for (const authorization of ['Bearer', 'Bearer not.a.jwt', 'Basic Zm9vOmJhcg==', 'Bearer a b'])
      expect((await call('GET', '/api/agents', { authorization })).status, authorization).toBe(401);
    for (const key of ['x', 'tf_'.padEnd(5_000, 'z'), '\u00e9t\u00e9'])
      expect((await exchange(encodeURIComponent(key))).status).toBe(401);
    for (const body of ['{', '[]', '{"email": 5, "password": []}', '{"email":"a@b.c"}']) {
      const status = await raw('POST', '/api/auth/sign-in/email', body);
      expect(status, body).toBeGreaterThanOrEqual(400);
      expect(status, body).toBeLessThan(500);
    }
  });
});
