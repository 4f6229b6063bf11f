import { type Stack, startStack } from '@taskflow/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskflowClient, describeFailure, TokenCache } from '../src';

describe('@taskflow/client against a real API and identity service', () => {
  let s: Stack;
  let adminCookie: string;
  let agentKey: string;
  let agentId: string;

  beforeAll(async () => {
    s = await startStack();
    adminCookie = (await s.signUp('admin@example.com', 'Ada Admin')).cookie;
    ({ id: agentId, key: agentKey } = await s.createAgent(adminCookie, 'Import Bot'));
  });
  afterAll(() => s.stop());

  it('exchanges an API key, calls typed procedures, and is recorded as a script run by an agent', async () => {
    const taskflow = createTaskflowClient({ url: s.apiUrl, apiKey: agentKey, authUrl: s.authUrl });
    const me = await taskflow.workers.me.query();
    expect(me).toMatchObject({ id: agentId, type: 'agent' });
    const task = await taskflow.tasks.create.mutate({ title: 'From a script', priority: 'low' });
    await taskflow.tasks.start.mutate({ id: task.id });
    const trail = (await taskflow.audit.list.query({ task_id: task.id })).items;
    expect(trail.map((e) => [e.action, e.actor_type, e.client])).toEqual([
      ['created', 'agent', 'script'],
      ['started', 'agent', 'script'],
    ]);
  });

  it('turns failures into status, code and the server message', async () => {
    const taskflow = createTaskflowClient({
      url: s.apiUrl,
      apiKey: agentKey,
      authUrl: s.authUrl,
      clientName: 'tests',
    });
    const missing = describeFailure(
      await taskflow.tasks.get.query({ id: 987654 }).catch((e: unknown) => e),
    );
    expect(missing).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      message: 'Task 987654 not found',
    });
    const invalid = describeFailure(
      await taskflow.tasks.create.mutate({ title: '' }).catch((e: unknown) => e),
    );
    expect(invalid).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(invalid.issues[0]).toMatchObject({ path: 'title' });
    const badKey = createTaskflowClient({ url: s.apiUrl, apiKey: 'tf_wrong', authUrl: s.authUrl });
    const refused = describeFailure(await badKey.tasks.list.query({}).catch((e: unknown) => e));
    expect(refused.code).toBe('UNAUTHORIZED');
    expect(refused.message).toMatch(/API key was refused \(401\)/);
    const offline = createTaskflowClient({ url: 'http://127.0.0.1:9', token: 'x' });
    expect(describeFailure(await offline.tasks.list.query({}).catch((e: unknown) => e)).code).toBe(
      'NETWORK',
    );
  });

  it('renews a token the API refuses, once, and carries on', async () => {
    const good = await s.tokenFor(adminCookie);
    let calls = 0;
    const taskflow = createTaskflowClient({
      url: s.apiUrl,
      // The first token is stale (signed for nobody); the renewal is good.
      token: async () => {
        calls++;
        const token = calls === 1 ? `${good.slice(0, -4)}AAAA` : good;
        return token;
      },
    });
    expect((await taskflow.workers.me.query()).name).toBe('Ada Admin');
    expect(calls).toBe(2);
    await taskflow.workers.me.query();
    expect(calls).toBe(2);
  });

  it('renews a token before it expires', async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = (exp: number) =>
      `x.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.y`;
    let n = 0;
    const cache = new TokenCache(async () => jwt(n++ === 0 ? now + 10 : now + 900));
    const first = await cache.get();
    const second = await cache.get();
    expect(second).not.toBe(first);
    expect(await cache.get()).toBe(second);
  });

  it('shares one renewal among concurrent callers, and renews again after invalidate', async () => {
    const now = Math.floor(Date.now() / 1000);
    let calls = 0;
    const cache = new TokenCache(async () => {
      calls++;
      return `x.${Buffer.from(JSON.stringify({ exp: now + 900, n: calls })).toString('base64url')}.y`;
    });
    const [a, b, c] = await Promise.all([cache.get(), cache.get(), cache.get()]);
    expect(new Set([a, b, c]).size).toBe(1);
    expect(calls).toBe(1);
    cache.invalidate();
    expect(await cache.get()).not.toBe(a);
    expect(calls).toBe(2);
    // A failed renewal is reported to the caller, and the next call tries again.
    const failing = new TokenCache(async () => {
      throw new Error('no session');
    });
    await expect(failing.get()).rejects.toThrow('no session');
    await expect(failing.get()).rejects.toThrow('no session');
  });
});
