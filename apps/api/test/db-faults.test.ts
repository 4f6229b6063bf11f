import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIssuer } from './helpers/jwks';
import { freePort } from './helpers/net';
import { type ServiceProcess, startApi, waitForHealth } from './helpers/process';

const WRITERS = 16;

interface Answer {
  via: 'rest' | 'trpc';
  status: number;
  retryAfter: string | null;
  title: string;
  id?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the API process when the database drops its connections', () => {
  let issuer: TestIssuer;
  let database: TestDatabase;
  let api: ServiceProcess;
  let url: string;
  beforeAll(async () => {
    issuer = await new TestIssuer().start();
    database = await createTestDatabase();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    api = startApi({
      PORT: String(port),
      DATABASE_URL: database.url,
      AUTH_JWKS_URL: issuer.url,
      AUTH_ISSUER: issuer.issuer,
      AUTH_AUDIENCE: issuer.audience,
    });
    await waitForHealth(`${url}/api/health/db`, api);
  });
  afterAll(async () => {
    api?.child.kill('SIGTERM');
    await api?.exited;
    await issuer.stop();
    await database.drop();
  });

  it('stays up, answers only 201 / 200 or 503 + Retry-After, recovers, and loses no acknowledged write', async () => {
    const answers: Answer[] = [];
    let writing = true;
    // Half the writers go through REST, half through tRPC: both must answer the same way.
    const writer = async (n: number) => {
      const token = await issuer.token(`writer-${n % 4}`);
      const via: Answer['via'] = n % 2 ? 'trpc' : 'rest';
      for (let i = 0; writing; i++) {
        const title = `writer ${n} task ${i}`;
        const res = await fetch(via === 'rest' ? `${url}/api/tasks` : `${url}/trpc/tasks.create`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ title }),
        }).catch(() => undefined);
        if (!res) {
          // No answer at all: the process is gone (asserted below).
          answers.push({ via, status: 0, retryAfter: null, title });
          return;
        }
        const body = (await res.json()) as { id?: number; result?: { data: { id: number } } };
        const id = via === 'rest' ? body.id : body.result?.data.id;
        answers.push({
          via,
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          title,
          ...(res.ok && { id }),
        });
        // A refused client backs off a little, as Retry-After asks, but keeps the pressure on.
        if (res.status === 503) await sleep(50);
      }
    };
    const load = Promise.all(Array.from({ length: WRITERS }, (_, n) => writer(n)));

    const terminated: number[] = [];
    await sleep(1_500);
    terminated.push(await database.terminateConnections());
    await sleep(1_500);
    terminated.push(await database.terminateConnections());
    await sleep(1_500);
    writing = false;
    await load;

    expect(api.child.exitCode, api.output().slice(-3_000)).toBeNull();
    // Both rounds hit live connections: the API had reconnected after the first.
    expect(terminated.every((n) => n > 0)).toBe(true);
    await waitForHealth(`${url}/api/health/db`, api, 10_000);

    const unexpected = answers.filter(
      (a) => a.status !== 503 && a.status !== (a.via === 'rest' ? 201 : 200),
    );
    expect(unexpected).toEqual([]);
    const refused = answers.filter((a) => a.status === 503);
    // The faults reached requests in flight, and each refusal says when to retry.
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.filter((a) => !a.retryAfter || !/^\d+$/.test(a.retryAfter))).toEqual([]);

    // Writing works again after the last fault.
    const after = await fetch(`${url}/api/tasks`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await issuer.token('writer-0')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ title: 'after the faults' }),
    });
    expect(after.status).toBe(201);

    const acknowledged = answers.filter((a) => a.status !== 503);
    expect(acknowledged.length).toBeGreaterThan(WRITERS);
    const rows = await database.db.selectFrom('tasks').select(['id', 'title']).execute();
    const stored = new Map(rows.map((r) => [r.id, r.title]));
    const lost = acknowledged.filter((a) => a.id === undefined || stored.get(a.id) !== a.title);
    expect(lost).toEqual([]);
  }, 60_000);
});
