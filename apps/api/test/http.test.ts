import { createDb } from '@taskflow/db';
import { createLogger } from '@taskflow/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { type Harness, startHarness } from './helpers/harness';
import { freePort } from './helpers/net';

describe('the HTTP server', () => {
  let h: Harness;
  let token: string;

  beforeAll(async () => {
    h = await startHarness();
    token = await h.issuer.token('http-user');
  });
  afterAll(() => h.stop());

  const auth = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

  it('answers liveness and readiness', async () => {
    const live = await fetch(`${h.baseUrl}/health`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${h.baseUrl}/api/health/db`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', database: 'ok' });
  });

  it('answers HEAD wherever GET works, and other methods 405 with Allow (tRPC and REST)', async () => {
    const head = await fetch(`${h.baseUrl}/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const created = await fetch(`${h.baseUrl}/api/tasks`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ title: 'Head me' }),
    });
    const { id } = (await created.json()) as { id: number };
    const task = await fetch(`${h.baseUrl}/api/tasks/${id}`, { method: 'HEAD', headers: auth() });
    expect(task.status).toBe(200);
    expect(task.headers.get('etag')).toBe('"1"');
    // fetch refuses to send TRACE; node:http does not.
    const { request } = await import('node:http');
    const trace = (path: string) =>
      new Promise<{ status: number; allow: string | undefined; body: string }>(
        (resolve, reject) => {
          const req = request(`${h.baseUrl}${path}`, { method: 'TRACE' }, (res) => {
            let body = '';
            res.on('data', (d) => {
              body += d;
            });
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body }),
            );
          });
          req.on('error', reject);
          req.end();
        },
      );
    const trpc = await trace('/trpc/tasks.list');
    expect(trpc.status).toBe(405);
    expect(trpc.allow).toBe('GET, POST');
    expect(JSON.parse(trpc.body)).toMatchObject({
      error: { data: { code: 'METHOD_NOT_SUPPORTED', httpStatus: 405 } },
    });
    const rest = await trace(`/api/tasks/${id}`);
    expect(rest.status).toBe(405);
    expect(rest.allow).toBe('GET, PATCH, DELETE, HEAD');
    const put = await fetch(`${h.baseUrl}/trpc/tasks.create`, { method: 'PUT', headers: auth() });
    expect(put.status).toBe(405);
    const text = await fetch(`${h.baseUrl}/trpc/tasks.create`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'text/plain', 'x-request-id': 'trpc-text-1' },
      body: '{"title":"x"}',
    });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({
      error: { data: { code: 'UNSUPPORTED_MEDIA_TYPE', request_id: 'trpc-text-1' } },
    });
  });

  it('speaks plain JSON tRPC to any HTTP client: create with POST, read with GET', async () => {
    const created = await fetch(`${h.baseUrl}/trpc/tasks.create`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ title: 'From curl' }),
    });
    expect(created.status).toBe(200);
    const task = (
      (await created.json()) as { result: { data: { id: number; created_at: string } } }
    ).result.data;
    expect(task.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const input = encodeURIComponent(JSON.stringify({ id: task.id }));
    const got = await fetch(`${h.baseUrl}/trpc/tasks.get?input=${input}`, { headers: auth() });
    expect(((await got.json()) as { result: { data: { title: string } } }).result.data.title).toBe(
      'From curl',
    );
  });

  it('batches calls', async () => {
    const input = encodeURIComponent(JSON.stringify({ 0: {}, 1: {} }));
    const res = await fetch(`${h.baseUrl}/trpc/workers.me,tasks.list?batch=1&input=${input}`, {
      headers: auth(),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { data: unknown } }[];
    expect(body).toHaveLength(2);
    expect(body[0]?.result.data).toMatchObject({ id: 'http-user', type: 'human' });
  });

  it('refuses a body over 1 MB with 413 and stores nothing', async () => {
    const res = await fetch(`${h.baseUrl}/trpc/tasks.create`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ title: 'big', description: 'x'.repeat(1024 * 1024 + 10) }),
    });
    expect(res.status).toBe(413);
    // In tRPC's wire shape, as every /trpc answer is, with the request's id.
    expect(await res.json()).toMatchObject({
      error: {
        data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, request_id: expect.any(String) },
      },
    });
    const rows = await h.database.db
      .selectFrom('tasks')
      .select('id')
      .where('title', '=', 'big')
      .execute();
    expect(rows).toEqual([]);
  });

  it('refuses a chunked body over the limit too (no Content-Length)', async () => {
    const big = 'x'.repeat(1024 * 1024 + 10);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(
          new TextEncoder().encode(JSON.stringify({ title: 'chunked', description: big })),
        );
        controller.close();
      },
    });
    const res = await fetch(`${h.baseUrl}/trpc/tasks.create`, {
      method: 'POST',
      headers: auth(),
      body: stream,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    expect(res.status).toBe(413);
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const res = await fetch(`${h.baseUrl}/trpc/tasks.create`, {
      method: 'POST',
      headers: auth(),
      body: '{"title":',
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toMatch(/"stack"/);
  });

  it('answers an unknown procedure with 404 and an unknown path with a JSON 404', async () => {
    expect((await fetch(`${h.baseUrl}/trpc/tasks.nope`, { headers: auth() })).status).toBe(404);
    const res = await fetch(`${h.baseUrl}/nowhere`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ status_code: 404, code: 'NOT_FOUND' });
  });

  it('never sends a stack trace, whatever fails', async () => {
    const responses = await Promise.all([
      fetch(`${h.baseUrl}/trpc/tasks.get?input=${encodeURIComponent('{"id":"x"}')}`, {
        headers: auth(),
      }),
      fetch(`${h.baseUrl}/trpc/tasks.get?input=${encodeURIComponent('{"id":424242}')}`, {
        headers: auth(),
      }),
      fetch(`${h.baseUrl}/trpc/tasks.start`, {
        method: 'POST',
        headers: auth(),
        body: '{"id":-1}',
      }),
      fetch(`${h.baseUrl}/trpc/tasks.list`, { headers: { authorization: 'Bearer nope' } }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([400, 404, 400, 401]);
    for (const res of responses)
      expect(await res.text()).not.toMatch(/stack|node_modules|\.ts:\d+/);
  });

  it('allows CORS from ALLOWED_ORIGINS only', async () => {
    const preflight = (origin: string) =>
      fetch(`${h.baseUrl}/trpc/tasks.create`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
    const ok = await preflight('http://localhost:3000');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const evil = await preflight('https://evil.example');
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(`${h.baseUrl}/health`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('an unreachable database', () => {
  it('turns readiness and every procedure into 503, while liveness stays 200', async () => {
    const port = await freePort();
    const h = await startHarness();
    const dead = createDb({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/nowhere` });
    const app = createApp({
      db: dead.db,
      logger: createLogger({ service: 'api', level: 'silent' }),
      auth: {
        jwksUrl: new URL(h.issuer.url),
        issuer: h.issuer.issuer,
        audience: h.issuer.audience,
      },
    });
    const url = await app.listen(0);
    try {
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const ready = await fetch(`${url}/api/health/db`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        error: 'The database is unavailable; try again shortly',
        status_code: 503,
        code: 'SERVICE_UNAVAILABLE',
        request_id: ready.headers.get('x-request-id'),
      });
      const token = await h.issuer.token('someone');
      const res = await fetch(`${url}/trpc/tasks.create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'lost?' }),
      });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message).toBe('The database is unavailable; try again shortly');
      const viaRest = await fetch(`${url}/api/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'lost?' }),
      });
      expect(viaRest.status).toBe(503);
      expect(await viaRest.json()).toMatchObject({ status_code: 503, code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await app.close();
      await dead.close();
      await h.stop();
    }
  });
});
