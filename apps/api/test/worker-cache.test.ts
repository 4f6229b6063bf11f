import type { AuditEntry, Task } from '@taskflow/contracts';
import { sql } from '@taskflow/db';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIssuer } from './helpers/jwks';
import { type ServiceProcess, startApisFor, stopApis } from './helpers/process';
import { restClient } from './helpers/rest';

const LISTEN_QUERY = 'listen taskflow_workers';

/**
 * Each API process keeps its callers' worker rows, so a read costs one query. These
 * copies must follow the registry: a change made through any process reaches the
 * others' copies at once (NOTIFY), and a process that cannot hear those announcements
 * keeps no copies. The cache's lifetime is set far beyond the test's patience, so only
 * the announcements can make a change show.
 */
describe('callers’ worker rows cached in each API process', () => {
  let issuer: TestIssuer;
  let database: TestDatabase;
  let apis: ServiceProcess[] = [];
  let urls: string[] = [];
  const tokens = new Map<string, string>();

  const call = <T>(url: string, sub: string, method: string, path: string, body?: unknown) =>
    restClient(url)<T>(method, path, {
      token: tokens.get(sub) ?? '',
      ...(body !== undefined && { body }),
    });

  /** Who the trail says created a fresh task of `sub`'s, made through `url`. */
  const createdAs = async (url: string, sub: string) => {
    const created = await call<Task>(url, sub, 'POST', '/api/tasks', { title: 'probe' });
    expect(created.status).toBe(201);
    const trail = await call<AuditEntry[]>(url, sub, 'GET', `/api/tasks/${created.body.id}/audit`);
    expect(trail.status).toBe(200);
    const entry = trail.body.find((e) => e.action === 'created');
    if (!entry) throw new Error('no created entry in the trail');
    return entry.actor_type;
  };

  /** Asks until the trail says `expected`, or gives up after `attempts` tries. */
  const eventuallyCreatedAs = async (url: string, sub: string, expected: string) => {
    let seen = '';
    for (let attempt = 0; attempt < 50; attempt++) {
      seen = await createdAs(url, sub);
      if (seen === expected) return seen;
      await new Promise((r) => setTimeout(r, 100));
    }
    return seen;
  };

  const listeners = async () => {
    const { rows } = await sql<{ pid: number }>`
      select pid from pg_stat_activity
      where datname = current_database() and query = ${LISTEN_QUERY}`.execute(database.db);
    return rows.map((row) => row.pid);
  };

  beforeAll(async () => {
    issuer = await new TestIssuer().start();
    database = await createTestDatabase({ migrate: false });
    ({ apis, urls } = await startApisFor(issuer, database.url, 2, {
      WORKER_CACHE_TTL_MS: '3600000',
    }));
    for (const sub of ['pat', 'root']) {
      tokens.set(
        sub,
        await issuer.token(sub, { name: sub, ...(sub === 'root' && { role: 'admin' }) }),
      );
    }
    // Both processes have heard of pat, and keep pat's row.
    for (const url of urls) expect(await createdAs(url, 'pat')).toBe('human');
  }, 120_000);

  afterAll(async () => {
    const codes = await stopApis(apis);
    await issuer.stop();
    await database.drop();
    expect(codes).toEqual([0, 0]);
  }, 60_000);

  it('keeps the row: a change nobody announced is not seen, one announced is', async () => {
    const [a] = urls as [string];
    // Behind the API's back: no announcement, so process a goes on with its copy.
    await sql`update workers set type = 'agent' where id = 'pat'`.execute(database.db);
    expect(await createdAs(a, 'pat')).toBe('human');
    await sql`select pg_notify('taskflow_workers', 'pat')`.execute(database.db);
    expect(await eventuallyCreatedAs(a, 'pat', 'agent')).toBe('agent');
    await sql`update workers set type = 'human' where id = 'pat'`.execute(database.db);
    await sql`select pg_notify('taskflow_workers', 'pat')`.execute(database.db);
    expect(await eventuallyCreatedAs(a, 'pat', 'human')).toBe('human');
  });

  it("follows an admin's change made through the other process", async () => {
    const [a, b] = urls as [string, string];
    expect(await createdAs(a, 'pat')).toBe('human');
    const put = await call(b, 'root', 'PUT', '/api/workers/pat', { type: 'agent', name: 'Pat' });
    expect(put.status).toBe(200);
    expect(await eventuallyCreatedAs(a, 'pat', 'agent')).toBe('agent');
    expect(await createdAs(b, 'pat')).toBe('agent');
  });

  it('keeps no copies while it cannot hear announcements, and starts afresh once it can', async () => {
    const [a] = urls as [string];
    await call(urls[1] as string, 'root', 'PUT', '/api/workers/pat', {
      type: 'human',
      name: 'Pat',
    });
    expect(await eventuallyCreatedAs(a, 'pat', 'human')).toBe('human');
    const before = await listeners();
    expect(before).toHaveLength(2);
    // Cut both processes' LISTEN connections; each notices, reconnects, and forgets.
    await sql`select pg_terminate_backend(pid) from pg_stat_activity
      where query = ${LISTEN_QUERY} and datname = current_database()`.execute(database.db);
    for (let i = 0; i < 100; i++) {
      const now = await listeners();
      if (now.length === 2 && now.every((pid) => !before.includes(pid))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = await listeners();
    expect(after).toHaveLength(2);
    expect(after.some((pid) => before.includes(pid))).toBe(false);
    // Changed while nobody could have been told: seen all the same, as the copies are gone.
    await sql`update workers set type = 'agent' where id = 'pat'`.execute(database.db);
    expect(await createdAs(a, 'pat')).toBe('agent');
  });
});
