import { randomUUID } from 'node:crypto';
import { migrateToLatest, sql } from '@taskflow/db';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIssuer } from './helpers/jwks';
import { freePort } from './helpers/net';
import { type ServiceProcess, startApi, waitForHealth } from './helpers/process';

// Retries with an Idempotency-Key across the failures that make clients retry: a
// database that drops the connection mid-call (503), and an API process killed
// mid-call or after answering. None of them may leave two tasks.
describe('keyed retries across database and process failures', () => {
  let issuer: TestIssuer;
  let database: TestDatabase;
  let api: ServiceProcess;
  let url: string;
  let token: string;
  const port = freePort();

  async function startProcess(): Promise<void> {
    url = `http://127.0.0.1:${await port}`;
    api = startApi({
      PORT: String(await port),
      DATABASE_URL: database.url,
      AUTH_JWKS_URL: issuer.url,
      AUTH_ISSUER: issuer.issuer,
      AUTH_AUDIENCE: issuer.audience,
    });
    await waitForHealth(`${url}/api/health/db`, api);
  }

  async function kill(): Promise<void> {
    api.child.kill('SIGKILL');
    await api.exited;
  }

  beforeAll(async () => {
    issuer = await new TestIssuer().start();
    database = await createTestDatabase();
    await migrateToLatest(database.db);
    token = await issuer.token('retrier', { name: 'Retrier' });
    await startProcess();
  });
  afterAll(async () => {
    api?.child.kill('SIGTERM');
    await api?.exited;
    await issuer.stop();
    await database.drop();
  });

  const create = (title: string, key: string) =>
    fetch(`${url}/api/tasks`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify({ title }),
    });

  const tasksTitled = (title: string) =>
    database.db.selectFrom('tasks').select('id').where('title', '=', title).execute();

  /** Holds the tasks table, so a create stops mid-transaction (its key taken, not committed). */
  async function holdTasks() {
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let locked!: () => void;
    const lockTaken = new Promise<void>((r) => {
      locked = r;
    });
    const held = database.db.transaction().execute(async (trx) => {
      await sql`lock table tasks in exclusive mode`.execute(trx);
      locked();
      await released;
    });
    // Only once the lock is ours: until then the test's own LOCK may be the call seen
    // waiting (behind autovacuum, say), and the create would go through unblocked.
    await Promise.race([lockTaken, held]);
    return async () => {
      release();
      await held;
    };
  }

  const blockedPids = async () =>
    (
      await sql<{ pid: number }>`
        select pid from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'
          and backend_type = 'client backend'`.execute(database.db)
    ).rows.map((r) => r.pid);

  async function waitForBlocked(): Promise<number[]> {
    for (let i = 0; i < 500; i++) {
      const pids = await blockedPids();
      if (pids.length) return pids;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the create never blocked');
  }

  it('a 503 stores nothing: the retry with the same key runs and makes one task', async () => {
    const key = randomUUID();
    const title = `after 503 ${key}`;
    const release = await holdTasks();
    const first = create(title, key);
    // The database drops the call's connection mid-transaction.
    const pids = await waitForBlocked();
    await sql`select pg_terminate_backend(pid) from unnest(${pids}::int[]) as pid`.execute(
      database.db,
    );
    const refused = await first;
    await release();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect(await tasksTitled(title)).toHaveLength(0);
    const retry = await create(title, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    const again = await create(title, key);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await tasksTitled(title)).toHaveLength(1);
  });

  it('an API killed mid-call commits nothing; after a restart the retry runs once', async () => {
    const key = randomUUID();
    const title = `killed mid-call ${key}`;
    const release = await holdTasks();
    const first = create(title, key).catch((error: unknown) => error);
    await waitForBlocked();
    await kill();
    expect(await first).toBeInstanceOf(Error);
    await release();
    await startProcess();
    const retry = await create(title, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await tasksTitled(title)).toHaveLength(1);
  });

  it('an API killed after answering replays the stored outcome after a restart', async () => {
    const key = randomUUID();
    const title = `killed after ${key}`;
    const first = await create(title, key);
    expect(first.status).toBe(201);
    const body = await first.text();
    await kill();
    await startProcess();
    const retry = await create(title, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.text()).toBe(body);
    expect(await tasksTitled(title)).toHaveLength(1);
  });
});
