import { randomUUID } from 'node:crypto';
import { sql } from '@taskflow/db';
import { sweepExpiredKeys } from '@taskflow/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers/harness';

interface Sent {
  status: number;
  text: string;
  replayed: string | null;
  headers: Headers;
}

describe('Idempotency-Key over REST and tRPC', () => {
  let h: Harness;
  let ann: string;
  let bob: string;

  beforeAll(async () => {
    h = await startHarness({ maxConnections: 16 });
    ann = await h.issuer.token('ann', { name: 'Ann' });
    bob = await h.issuer.token('bob', { name: 'Bob' });
  });
  afterAll(() => h.stop());

  async function send(
    path: string,
    body: unknown,
    options: { token?: string; key?: string; headers?: Record<string, string> } = {},
  ): Promise<Sent> {
    const res = await fetch(`${h.baseUrl}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.token ?? ann}`,
        'content-type': 'application/json',
        ...(options.key !== undefined && { 'idempotency-key': options.key }),
        ...options.headers,
      },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      text: await res.text(),
      replayed: res.headers.get('idempotent-replayed'),
      headers: res.headers,
    };
  }

  const tasksTitled = async (title: string) =>
    h.database.db.selectFrom('tasks').select('id').where('title', '=', title).execute();
  const auditRowsOf = async (taskIds: number[]) =>
    taskIds.length
      ? h.database.db.selectFrom('audit_log').select('id').where('task_id', 'in', taskIds).execute()
      : [];

  it('REST: a retry answers the first status and body, byte for byte, and creates one task', async () => {
    const key = randomUUID();
    const title = `rest replay ${key}`;
    const first = await send('/api/tasks', { title, priority: 'high' }, { key });
    expect(first.status).toBe(201);
    expect(first.replayed).toBeNull();
    const again = await send('/api/tasks', { priority: 'high', title }, { key });
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.replayed).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    const tasks = await tasksTitled(title);
    expect(tasks).toHaveLength(1);
    expect(await auditRowsOf(tasks.map((t) => t.id))).toHaveLength(1);
  });

  it('tRPC: a retry gets the same result and creates one task', async () => {
    const key = randomUUID();
    const title = `trpc replay ${key}`;
    const first = await send('/trpc/tasks.create', { title }, { key });
    const again = await send('/trpc/tasks.create', { title }, { key });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.replayed).toBe('true');
    const tasks = await tasksTitled(title);
    expect(tasks).toHaveLength(1);
    expect(await auditRowsOf(tasks.map((t) => t.id))).toHaveLength(1);
  });

  it('the same key with a different input, or another procedure, gets 422 and changes nothing', async () => {
    const key = randomUUID();
    const first = await send('/api/tasks', { title: `first ${key}` }, { key });
    expect(first.status).toBe(201);
    const id = (JSON.parse(first.text) as { id: number }).id;
    const other = await send('/api/tasks', { title: `second ${key}` }, { key });
    expect(other.status).toBe(422);
    expect(JSON.parse(other.text)).toMatchObject({ code: 'UNPROCESSABLE_CONTENT' });
    expect(JSON.parse(other.text).error).toMatch(/different request/);
    const trpc = await send('/trpc/tasks.start', { id }, { key });
    expect(trpc.status).toBe(422);
    expect(await tasksTitled(`second ${key}`)).toHaveLength(0);
    const task = await h.database.db
      .selectFrom('tasks')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(task.status).toBe('pending');
  });

  it('keys are per caller: another caller with the same key runs its own call', async () => {
    const key = randomUUID();
    const title = `per caller ${key}`;
    expect((await send('/api/tasks', { title }, { key })).status).toBe(201);
    const bobs = await send('/api/tasks', { title }, { key, token: bob });
    expect(bobs.status).toBe(201);
    expect(bobs.replayed).toBeNull();
    expect(await tasksTitled(title)).toHaveLength(2);
  });

  it('ten identical keyed creates at once make exactly one task, and all ten get its answer', async () => {
    const key = randomUUID();
    const title = `concurrent ${key}`;
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        // Half over REST, half over tRPC: the same procedure and input is the same request.
        i % 2
          ? send('/api/tasks', { title }, { key })
          : send('/trpc/tasks.create', { title }, { key }),
      ),
    );
    const ids = answers.map((a) => {
      const body = JSON.parse(a.text) as { id?: number; result?: { data: { id: number } } };
      return body.id ?? body.result?.data.id;
    });
    expect(answers.map((a) => a.status).sort()).toEqual([
      ...Array(5).fill(200),
      ...Array(5).fill(201),
    ]);
    expect(new Set(ids).size).toBe(1);
    expect(answers.filter((a) => a.replayed === 'true')).toHaveLength(9);
    const tasks = await tasksTitled(title);
    expect(tasks).toHaveLength(1);
    expect(await auditRowsOf(tasks.map((t) => t.id))).toHaveLength(1);
  });

  it('a duplicate that arrives while the first is still running waits for its outcome', async () => {
    const key = randomUUID();
    const title = `waiting ${key}`;
    // Hold the tasks table so the first call stops mid-transaction, holding its key.
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let holding!: () => void;
    const held = new Promise<void>((r) => {
      holding = r;
    });
    const locked = h.database.db.transaction().execute(async (trx) => {
      await sql`lock table tasks in exclusive mode`.execute(trx);
      holding();
      await released;
    });
    let first: ReturnType<typeof send> | undefined;
    let duplicate: ReturnType<typeof send> | undefined;
    try {
      await held;
      first = send('/api/tasks', { title }, { key });
      // The first waits on the table holding its key, the duplicate on the first's key.
      // Generous: CI runs many suites at once on two cores.
      await waitFor(async () => (await waitingOn('tasks')) >= 1, 30_000);
      duplicate = send('/api/tasks', { title }, { key });
      await waitFor(async () => (await waitingOn('idempotency_keys')) >= 1, 30_000);
    } finally {
      // Whatever happened, the table is let go: a held lock would stall every later test.
      release();
      await locked;
    }
    const [a, b] = await Promise.all([first, duplicate]);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.text).toBe(a.text);
    expect(b.replayed).toBe('true');
    expect(await tasksTitled(title)).toHaveLength(1);
  });

  it('stores a refusal the procedure made (412 on a stale If-Match) and replays it', async () => {
    const created = await send('/api/tasks', { title: `stale ${randomUUID()}` });
    const id = (JSON.parse(created.text) as { id: number }).id;
    expect((await send(`/api/tasks/${id}/start`, {})).status).toBe(200);
    const key = randomUUID();
    const stale = await send(
      `/api/tasks/${id}/progress`,
      { percent: 10 },
      { key, headers: { 'if-match': '"1"' } },
    );
    expect(stale.status).toBe(412);
    const again = await send(
      `/api/tasks/${id}/progress`,
      { percent: 10 },
      { key, headers: { 'if-match': '"1"' } },
    );
    expect(again.status).toBe(412);
    expect(again.replayed).toBe('true');
    const { request_id: _a, ...firstBody } = JSON.parse(stale.text) as Record<string, unknown>;
    const { request_id: _b, ...againBody } = JSON.parse(again.text) as Record<string, unknown>;
    expect(againBody).toEqual(firstBody);
  });

  it('does not store invalid input: the same key may then carry the corrected call', async () => {
    const key = randomUUID();
    const invalid = await send('/api/tasks', { title: '' }, { key });
    expect(invalid.status).toBe(400);
    const fixed = await send('/api/tasks', { title: `fixed ${key}` }, { key });
    expect(fixed.status).toBe(201);
    expect(fixed.replayed).toBeNull();
  });

  it('refuses malformed keys and keys on a batch of several calls (400), and ignores keys on queries', async () => {
    for (const key of ['', 'has space', 'x'.repeat(256), 'caf\u00e9']) {
      const res = await fetch(`${h.baseUrl}/api/tasks`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${ann}`,
          'content-type': 'application/json',
          'idempotency-key': Buffer.from(key, 'utf8').toString('latin1'),
        },
        body: JSON.stringify({ title: 'never' }),
      });
      expect(res.status, JSON.stringify(key)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/Idempotency-Key/);
    }
    const repeated = await fetch(`${h.baseUrl}/api/tasks`, {
      method: 'POST',
      headers: [
        ['authorization', `Bearer ${ann}`],
        ['content-type', 'application/json'],
        ['idempotency-key', 'one'],
        ['idempotency-key', 'two'],
      ],
      body: JSON.stringify({ title: 'never' }),
    });
    expect(repeated.status).toBe(400);
    expect(await tasksTitled('never')).toHaveLength(0);
    const batch = await send(
      '/trpc/tasks.create,tasks.create?batch=1',
      { 0: { title: 'batched' }, 1: { title: 'batched' } },
      { key: randomUUID() },
    );
    const results = JSON.parse(batch.text) as { error?: { data: { httpStatus: number } } }[];
    expect(results.map((r) => r.error?.data.httpStatus)).toEqual([400, 400]);
    expect(await tasksTitled('batched')).toHaveLength(0);
    const single = await send(
      '/trpc/tasks.create?batch=1',
      { 0: { title: 'batch of one' } },
      { key: randomUUID() },
    );
    expect(single.status).toBe(200);
    const list = await fetch(`${h.baseUrl}/api/tasks?limit=1`, {
      headers: { authorization: `Bearer ${ann}`, 'idempotency-key': 'not used by queries' },
    });
    expect(list.status).toBe(200);
  });

  it('writes no key row for a call without a key', async () => {
    const before = await countKeys();
    expect((await send('/api/tasks', { title: `unkeyed ${randomUUID()}` })).status).toBe(201);
    expect(await countKeys()).toBe(before);
  });

  it('sweeps expired keys, and an expired key runs its call again', async () => {
    const key = randomUUID();
    const title = `expired ${key}`;
    expect((await send('/api/tasks', { title }, { key })).status).toBe(201);
    await h.database.db
      .updateTable('idempotency_keys')
      .set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .where('key', '=', key)
      .execute();
    // Kept past its time but not swept yet: the key is free again.
    const rerun = await send('/api/tasks', { title }, { key });
    expect(rerun.status).toBe(201);
    expect(rerun.replayed).toBeNull();
    expect(await tasksTitled(title)).toHaveLength(2);
    await h.database.db
      .updateTable('idempotency_keys')
      .set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .execute();
    const live = randomUUID();
    expect((await send('/api/tasks', { title: `live ${live}` }, { key: live })).status).toBe(201);
    // That keyed call may have swept already (1 in 64 do, in the background): either way, only
    // the live key is left once the explicit sweep is done.
    await sweepExpiredKeys(h.database.db);
    const left = await h.database.db.selectFrom('idempotency_keys').select('key').execute();
    expect(left.map((r) => r.key)).toEqual([live]);
    // The sweep itself, on rows no API call touches: it removes exactly the expired ones.
    await h.database.db
      .insertInto('idempotency_keys')
      .values(
        ['a', 'b', 'c'].map((k) => ({
          principal: 'sweep-test',
          key: `sweep-${k}`,
          fingerprint: 'x',
          status: 200,
          body: 'null',
          expires_at: sql<Date>`now() - interval '1 minute'`,
        })),
      )
      .execute();
    expect(await sweepExpiredKeys(h.database.db)).toBe(3);
    const after = await h.database.db.selectFrom('idempotency_keys').select('key').execute();
    expect(after.map((r) => r.key)).toEqual([live]);
    const row = await h.database.db
      .selectFrom('idempotency_keys')
      .select(sql<number>`extract(epoch from expires_at - created_at)::int`.as('ttl'))
      .executeTakeFirstOrThrow();
    expect(row.ttl).toBe(24 * 3600);
  });

  async function countKeys(): Promise<number> {
    const row = await h.database.db
      .selectFrom('idempotency_keys')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Statements waiting on a lock whose text names `table`. */
  async function waitingOn(table: string): Promise<number> {
    const row = await sql<{ n: string }>`
      select count(*) as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'
        and backend_type = 'client backend' and query like ${`%"${table}"%`}`.execute(
      h.database.db,
    );
    return Number(row.rows[0]?.n ?? 0);
  }
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
