import { sql } from '@taskflow/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness';
import { restClient } from './helpers/rest';

const NUL = 'a\u0000b';
const LONE = 'a\uD800b';
const TOO_BIG = 2 ** 31;

interface ErrorBody {
  error: string;
  code: string;
  status_code: number;
  issues?: { path: string }[];
}

/** Nothing reaches the database, and the caller learns which field and why. */
describe('inputs at the database limits get 400, never 500, never silently changed', () => {
  let h: Harness;
  let token: string;
  let rest: ReturnType<typeof restClient>;
  let taskId: number;

  const taskCount = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from tasks`.execute(h.database.db)).rows[0]
      ?.n;

  /** A raw tRPC call over HTTP, as any client would make it. */
  const trpc = async (procedure: string, input: unknown, tokenOverride = token) => {
    const res = await fetch(`${h.baseUrl}/trpc/${procedure}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenOverride}`, 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
  };

  beforeAll(async () => {
    h = await startHarness();
    token = await h.issuer.token('limits-user');
    rest = restClient(h.baseUrl);
    const created = await rest<{ id: number }>('POST', '/api/tasks', {
      token,
      body: { title: 'Existing' },
    });
    taskId = created.body.id;
  });
  afterAll(() => h.stop());

  it('refuses NUL and unpaired surrogates in JSON bodies, over tRPC and REST', async () => {
    const before = await taskCount();
    for (const bad of [NUL, LONE, '\uDC00']) {
      const viaTrpc = await trpc('tasks.create', { title: bad });
      expect(viaTrpc.status).toBe(400);
      expect(viaTrpc.body.error?.message).toMatch(/title: Must not contain NUL/);

      const viaRest = await rest<ErrorBody>('POST', '/api/tasks', {
        token,
        body: { title: 'ok', description: bad, tags: ['fine'] },
      });
      expect(viaRest.status).toBe(400);
      expect(viaRest.body.issues?.[0]?.path).toBe('description');

      const patch = await rest<ErrorBody>('PATCH', `/api/tasks/${taskId}`, {
        token,
        body: { tags: ['ok', bad] },
      });
      expect(patch.status).toBe(400);
      const block = await rest<ErrorBody>('POST', `/api/tasks/${taskId}/block`, {
        token,
        body: { reason: bad },
      });
      expect(block.status).toBe(400);
    }
    expect(await taskCount()).toBe(before);
    const task = await rest<{ version: number; tags: string[] }>('GET', `/api/tasks/${taskId}`, {
      token,
    });
    expect(task.body).toMatchObject({ version: 1, tags: [] });
  });

  it('refuses bodies that are not UTF-8 instead of storing U+FFFD', async () => {
    const before = await taskCount();
    // {"title":"<E0 80>"}: E0 80 is no UTF-8 sequence.
    const body = Buffer.concat([
      Buffer.from('{"title":"'),
      Buffer.from([0xe0, 0x80]),
      Buffer.from('"}'),
    ]);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const viaRest = await fetch(`${h.baseUrl}/api/tasks`, { method: 'POST', headers, body });
    expect(viaRest.status).toBe(400);
    expect(await viaRest.json()).toMatchObject({
      code: 'PARSE_ERROR',
      error: expect.stringMatching(/not valid UTF-8/),
    });
    const viaTrpc = await fetch(`${h.baseUrl}/trpc/tasks.create`, {
      method: 'POST',
      headers,
      body,
    });
    expect(viaTrpc.status).toBe(400);
    expect(await viaTrpc.json()).toMatchObject({
      error: { data: { code: 'PARSE_ERROR', httpStatus: 400 } },
    });
    expect(await taskCount()).toBe(before);
    // Valid UTF-8 still goes through tRPC's own body handling.
    expect((await trpc('tasks.create', { title: 'café ☕' })).status).toBe(200);
  });

  it('refuses them in query and path parameters', async () => {
    const query = await rest<ErrorBody>('GET', '/api/tasks?q=a%00b', { token });
    expect(query.status).toBe(400);
    expect(query.body.issues?.[0]?.path).toBe('q');
    expect((await rest('GET', '/api/tasks?assigned_to=%00', { token })).status).toBe(400);
    // Two values for one field: neither is picked silently.
    const twice = await rest<ErrorBody>('GET', '/api/tasks?limit=1&limit=2', { token });
    expect(twice.status).toBe(400);
    expect(twice.body.error).toBe('limit is given more than once');
    expect((await rest('GET', '/api/tasks?project=a-b&project_slug=c-d', { token })).status).toBe(
      400,
    );
    // Bytes that are not UTF-8 would reach the schema as U+FFFD: refused, not changed.
    expect((await rest('GET', '/api/tasks?q=%E0', { token })).status).toBe(400);
    expect((await rest('GET', '/api/tasks?q=%ED%A0%80', { token })).status).toBe(400);
    const trpcQuery = await fetch(
      `${h.baseUrl}/trpc/tasks.list?input=${encodeURIComponent('{"q":"x').replace('x', '%E0')}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(trpcQuery.status).toBe(400);
    expect((await rest('GET', '/api/projects/a%00b', { token })).status).toBe(400);

    const admin = await h.issuer.token('limits-admin', { role: 'admin' });
    const worker = await rest<ErrorBody>('PUT', '/api/workers/bot%00one', {
      token: admin,
      body: { type: 'agent', name: 'Bot' },
    });
    expect(worker.status).toBe(400);
    const stored = await h.database.db
      .selectFrom('workers')
      .select('id')
      .where('id', 'like', 'bot%')
      .execute();
    expect(stored).toEqual([]);
  });

  it("refuses token claims the API would store (sub, name) but PostgreSQL can't hold", async () => {
    for (const claims of [
      { sub: `bad${NUL}` },
      { sub: `bad${LONE}` },
      { sub: 'bad-name', name: `Ann${NUL}` },
      { sub: 'bad-name', name: `Ann${LONE}` },
    ]) {
      const bad = await h.issuer.sign(claims);
      const res = await rest<ErrorBody>('GET', '/api/workers/me', { token: bad });
      expect(res.status, JSON.stringify(claims)).toBe(400);
      expect(res.body.error).toMatch(/token's '(sub|name)' claim/);
    }
    // A blank subject names nobody.
    const blank = await rest<ErrorBody>('GET', '/api/workers/me', {
      token: await h.issuer.sign({ sub: '  ' }),
    });
    expect(blank.status).toBe(401);
    const stored = await h.database.db
      .selectFrom('workers')
      .select('id')
      .where('id', 'like', 'bad%')
      .execute();
    expect(stored).toEqual([]);
    // A name whose 120th character is an emoji is cut whole, never into half a pair.
    const long = `${'x'.repeat(119)}\uD83D\uDE80tail`;
    const fine = await h.issuer.token('emoji-user', { name: long });
    const me = await rest<{ name: string }>('GET', '/api/workers/me', { token: fine });
    expect(me.status).toBe(200);
    expect(me.body.name).toBe(`${'x'.repeat(119)}\uD83D\uDE80`);
  });

  it('refuses integers beyond their column range', async () => {
    const cases: [string, string, unknown?][] = [
      ['GET', `/api/tasks/${TOO_BIG}`],
      ['GET', '/api/tasks/99999999999999999999'],
      ['GET', `/api/tasks?parent_id=${TOO_BIG}`],
      ['GET', '/api/tasks?offset=10000001'],
      ['GET', '/api/tasks?limit=101'],
      ['GET', '/api/tasks?limit=-1'],
      ['PATCH', `/api/tasks/${taskId}`, { parent_id: TOO_BIG }],
      ['PATCH', `/api/tasks/${taskId}`, { title: 'x', expected_version: TOO_BIG }],
      ['POST', '/api/tasks', { title: 'x', parent_id: TOO_BIG }],
      ['POST', `/api/tasks/${taskId}/progress`, { percent: 2 ** 40 }],
      ['GET', `/api/tasks/${TOO_BIG}/audit`],
    ];
    for (const [method, path, body] of cases) {
      const res = await rest<ErrorBody>(method, path, { token, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
    }
    expect((await trpc('tasks.delete', { id: TOO_BIG })).status).toBe(400);
  });

  it('refuses dates PostgreSQL cannot store', async () => {
    const before = await taskCount();
    for (const due of [
      '0000-01-01',
      '0000-06-01T00:00:00Z',
      '9999-12-31T23:00:00-05:00',
      '10000-01-01',
      '+010000-01-01T00:00:00Z',
    ]) {
      const res = await rest<ErrorBody>('POST', '/api/tasks', {
        token,
        body: { title: 'Dated', due_date: due },
      });
      expect(res.status, due).toBe(400);
      expect(res.body.issues?.[0]?.path).toBe('due_date');
    }
    expect(await taskCount()).toBe(before);
    const edge = await rest<{ due_date: string }>('POST', '/api/tasks', {
      token,
      body: { title: 'Far away', due_date: '9999-12-31' },
    });
    expect(edge.status).toBe(201);
    expect(edge.body.due_date).toBe('9999-12-31T00:00:00.000Z');
  });

  it("maps PostgreSQL's data exceptions (SQLSTATE class 22) to 400 as a last line of defence", async () => {
    // A real trigger raising a real data exception, standing in for any value the schemas missed.
    await sql`create function reject_tripwire() returns trigger language plpgsql as $$
      begin
        if new.title = 'tripwire' then
          raise exception 'value out of range' using errcode = '22003';
        end if;
        return new;
      end $$`.execute(h.database.db);
    await sql`create trigger tripwire before insert on tasks for each row execute function reject_tripwire()`.execute(
      h.database.db,
    );
    try {
      const before = await taskCount();
      const res = await rest<ErrorBody>('POST', '/api/tasks', {
        token,
        body: { title: 'tripwire' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'BAD_REQUEST', status_code: 400 });
      expect(JSON.stringify(res.body)).not.toMatch(/at |plpgsql|22003/);
      const viaTrpc = await trpc('tasks.create', { title: 'tripwire' });
      expect(viaTrpc.status).toBe(400);
      expect(await taskCount()).toBe(before);
    } finally {
      await sql`drop trigger tripwire on tasks`.execute(h.database.db);
    }
  });

  it('bounds tRPC batches: a larger batch gets 400 and runs nothing', async () => {
    const before = await taskCount();
    const batch = async (n: number) => {
      const paths = Array.from({ length: n }, () => 'tasks.create').join(',');
      const input = Object.fromEntries(
        Array.from({ length: n }, (_, i) => [String(i), { title: `batched ${i}` }]),
      );
      return fetch(`${h.baseUrl}/trpc/${paths}?batch=1`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
    };
    const tooMany = await batch(51);
    expect(tooMany.status).toBe(400);
    expect(await tooMany.text()).toMatch(/Batch call exceeds maximum size/);
    expect(await taskCount()).toBe(before);

    const allowed = await batch(3);
    expect(allowed.status).toBe(200);
    expect(await taskCount()).toBe((before ?? 0) + 3);
  });
});
