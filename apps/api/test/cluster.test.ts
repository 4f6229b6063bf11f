import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import type { Task } from '@taskflow/contracts';
import { sql } from '@taskflow/db';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIssuer } from './helpers/jwks';
import { type ServiceProcess, startApi, startApiFor } from './helpers/process';
import { restClient } from './helpers/rest';
import { type EventStream, openEventStream } from './helpers/sse';

/** The pids of the cluster's workers: the primary's children running main (tsx has one of its own). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-f', 'main\\.(ts|mjs)'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

/** A GET on a connection of its own: node:cluster hands out connections, not requests. */
function onNewConnection(
  target: string,
  token?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(
      target,
      { agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
  });
}

async function until<T>(what: string, probe: () => T | undefined, attempts = 100): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * API_WORKERS processes behind one port, as `pnpm start` runs on PostgreSQL: node:cluster
 * hands connections to the workers in turn, so requests land on both.
 */
describe('the API as a cluster of workers (API_WORKERS=2)', () => {
  let issuer: TestIssuer;
  let database: TestDatabase;
  let api: ServiceProcess;
  let url: string;
  let token: string;
  const rest = (method: string, path: string, body?: unknown) =>
    restClient(url)<Task>(method, path, { token, ...(body !== undefined && { body }) });

  beforeAll(async () => {
    issuer = await new TestIssuer().start();
    database = await createTestDatabase({ migrate: false });
    ({ api, url } = await startApiFor(issuer, database.url, {
      API_WORKERS: '2',
      LEASE_SWEEP_INTERVAL_MS: '200',
    }));
    token = await issuer.token('owner', { name: 'Owner' });
    expect((await rest('POST', '/api/projects', { slug: 'cluster', name: 'Cluster' })).status).toBe(
      201,
    );
  }, 120_000);

  afterAll(async () => {
    if (api.child.exitCode === null) api.child.kill('SIGKILL');
    await issuer.stop();
    await database.drop();
  });

  it('runs two workers that both serve, and a change through one reaches streams on both', async () => {
    const pid = api.child.pid as number;
    expect(childrenOf(pid)).toHaveLength(2);
    // Connections go to the workers in turn: of four streams, each worker holds some.
    const streams: EventStream[] = [];
    for (let i = 0; i < 4; i++) {
      streams.push(
        await openEventStream(`${url}/api/events?project_slug=cluster`, {
          authorization: `Bearer ${token}`,
        }),
      );
    }
    try {
      for (const stream of streams) expect(stream.status).toBe(200);
      const created = await rest('POST', '/api/tasks', {
        title: 'seen by all',
        project_slug: 'cluster',
      });
      expect(created.status).toBe(201);
      for (const stream of streams) {
        const [event] = await stream.waitForEvents(1, 10_000);
        expect(JSON.parse(event?.data ?? '{}')).toMatchObject({
          action: 'created',
          task: { id: created.body.id },
        });
      }
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it('answers /metrics for the whole cluster, whichever worker takes the scrape', async () => {
    // A scrape answers 503 when a worker does not answer the primary within 5 s (seen once
    // in CI under load); what this test holds the cluster to is the sum, so such a scrape
    // is taken again, and any other answer fails.
    const listed = async (): Promise<number | null> => {
      const res = await onNewConnection(`${url}/metrics`);
      if (res.status === 503) return null;
      expect(res.status).toBe(200);
      const text = res.body;
      let total = 0;
      for (const line of text.split('\n')) {
        if (line.startsWith('http_requests_total{') && line.includes('route="/api/tasks"'))
          if (line.includes('method="GET"')) total += Number(line.split(' ').at(-1));
      }
      return total;
    };
    let before = await listed();
    for (let i = 0; i < 3 && before === null; i++) before = await listed();
    expect(before).not.toBeNull();
    for (let i = 0; i < 10; i++) {
      const res = await onNewConnection(`${url}/api/tasks?project_slug=cluster`, token);
      expect(res.status).toBe(200);
    }
    // Each scrape lands on a worker in turn: two in a row must both count all ten.
    let agreeing = 0;
    for (let i = 0; i < 40 && agreeing < 2; i++) {
      agreeing = (await listed()) === (before ?? 0) + 10 ? agreeing + 1 : 0;
      if (agreeing < 2) await new Promise((r) => setTimeout(r, 50));
    }
    expect(agreeing).toBe(2);
  }, 60_000);

  it('sweeps an expired lease once, though both workers sweep', async () => {
    const created = await rest('POST', '/api/tasks', { title: 'lapses', project_slug: 'cluster' });
    expect((await rest('POST', `/api/tasks/${created.body.id}/start`, {})).status).toBe(200);
    // The agent "crashed" long ago: its lease ran out a moment back.
    await sql`update tasks set lease_expires_at = now() - interval '1 second'
      where id = ${created.body.id}`.execute(database.db);
    let status = '';
    for (let i = 0; i < 100 && status !== 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await rest('GET', `/api/tasks/${created.body.id}`)).body.status;
    }
    expect(status).toBe('pending');
    // A few more sweeps by both workers change nothing.
    await new Promise((r) => setTimeout(r, 600));
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from audit_log
      where task_id = ${created.body.id} and action = 'released'
        and context->>'reason' = 'lease_expired'`.execute(database.db);
    expect(rows[0]?.n).toBe(1);
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    const pid = api.child.pid as number;
    const [victim, survivor] = childrenOf(pid) as [number, number];
    process.kill(victim, 'SIGKILL');
    const replaced = await until('a replacement worker', () => {
      const now = childrenOf(pid);
      return now.length === 2 && !now.includes(victim) ? now : undefined;
    });
    expect(replaced).toContain(survivor);
    // Every request answered, whichever worker takes it.
    for (let i = 0; i < 6; i++)
      expect((await rest('GET', '/api/tasks?project=cluster')).status).toBe(200);
    expect(api.output()).toContain('API worker died; starting another');
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    const pid = api.child.pid as number;
    const workers = childrenOf(pid);
    expect(workers).toHaveLength(2);
    api.child.kill('SIGTERM');
    expect(await api.exited, api.output().slice(-3000)).toBe(0);
    for (const worker of workers) expect(() => process.kill(worker, 0)).toThrow();
  });
});

describe('a cluster whose primary is killed outright', () => {
  it('leaves no workers behind', async () => {
    const issuer = await new TestIssuer().start();
    const database = await createTestDatabase({ migrate: false });
    try {
      const { api } = await startApiFor(issuer, database.url, { API_WORKERS: '2' });
      const workers = childrenOf(api.child.pid as number);
      expect(workers).toHaveLength(2);
      api.child.kill('SIGKILL');
      await api.exited;
      const alive = () =>
        workers.filter((pid) => {
          try {
            process.kill(pid, 0);
            return true;
          } catch {
            return false;
          }
        });
      await until('the orphaned workers to stop', () => (alive().length ? undefined : true));
      expect(alive()).toEqual([]);
    } finally {
      await issuer.stop();
      await database.drop();
    }
  }, 60_000);
});

describe('a cluster that cannot start', () => {
  it('exits with the workers’ own code when they cannot start, instead of restarting them forever', async () => {
    const issuer = await new TestIssuer().start();
    try {
      // Nothing listens on port 1: each worker fails to reach its database and exits 1.
      const api = startApi({
        AUTH_JWKS_URL: issuer.url,
        PORT: '0',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
        API_WORKERS: '2',
      });
      expect(await api.exited).toBe(1);
      expect(api.output()).toContain('API worker failed to start');
    } finally {
      await issuer.stop();
    }
  }, 60_000);
});

describe('a cluster whose worker dies while the primary gathers its /metrics', () => {
  it('keeps the primary up and replaces the worker', async () => {
    const issuer = await new TestIssuer().start();
    const database = await createTestDatabase({ migrate: false });
    let api: ServiceProcess | undefined;
    let stopped: number | undefined;
    try {
      let url: string;
      ({ api, url } = await startApiFor(issuer, database.url, { API_WORKERS: '2' }));
      const pid = api.child.pid as number;
      const [asker, stuck] = childrenOf(pid) as [number, number];
      // A stopped worker never answers: the primary waits for it (prom-client's 5 s)
      // while the asking worker is killed, then answers a worker that is gone.
      process.kill(stuck, 'SIGSTOP');
      stopped = stuck;
      const scrapes = Array.from({ length: 4 }, () =>
        onNewConnection(`${url}/metrics`).catch(() => undefined),
      );
      await new Promise((r) => setTimeout(r, 500));
      process.kill(asker, 'SIGKILL');
      await until('the primary to give up on the stopped worker', () =>
        api?.output().includes('API worker died; starting another') ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 6_000));
      process.kill(stuck, 'SIGCONT');
      stopped = undefined;
      expect(api.child.exitCode, api.output().slice(-3000)).toBeNull();
      await until('a replacement worker', () => {
        const now = childrenOf(pid);
        return now.length === 2 && !now.includes(asker) ? now : undefined;
      });
      for (let i = 0; i < 4; i++) expect((await onNewConnection(`${url}/health`)).status).toBe(200);
      await Promise.all(scrapes);
      api.child.kill('SIGTERM');
      expect(await api.exited, api.output().slice(-3000)).toBe(0);
    } finally {
      if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
      if (api && api.child.exitCode === null) api.child.kill('SIGKILL');
      await issuer.stop();
      await database.drop();
    }
  }, 60_000);
});

describe('a cluster whose replacement worker cannot reach the database', () => {
  it('goes on serving with the others and retries the replacement until it starts', async () => {
    const issuer = await new TestIssuer().start();
    const database = await createTestDatabase({ migrate: false });
    const name = new URL(database.url).pathname.slice(1);
    // ALTER DATABASE ... allow_connections is refused from inside that database.
    const allowConnections = async (allow: boolean) => {
      const admin = new pg.Client({
        connectionString: database.url.replace(/\/[^/]*$/, '/postgres'),
      });
      await admin.connect();
      try {
        await admin.query(`alter database "${name}" allow_connections ${allow}`);
      } finally {
        await admin.end();
      }
    };
    let api: ServiceProcess | undefined;
    try {
      let url: string;
      ({ api, url } = await startApiFor(issuer, database.url, { API_WORKERS: '2' }));
      const pid = api.child.pid as number;
      const [victim, survivor] = childrenOf(pid) as [number, number];
      // New connections are refused: a replacement cannot migrate or pool; the survivor's
      // pooled connections still work.
      await allowConnections(false);
      process.kill(victim, 'SIGKILL');
      await until('a replacement to fail', () =>
        api?.output().includes('starting another API worker later') ? true : undefined,
      );
      expect(api.child.exitCode, api.output().slice(-3000)).toBeNull();
      expect(childrenOf(pid)).toContain(survivor);
      for (let i = 0; i < 4; i++) expect((await onNewConnection(`${url}/health`)).status).toBe(200);
      await allowConnections(true);
      await until(
        'a replacement that starts',
        () => {
          const now = childrenOf(pid);
          return now.length === 2 && !now.includes(victim) ? now : undefined;
        },
        300,
      );
      api.child.kill('SIGTERM');
      expect(await api.exited, api.output().slice(-3000)).toBe(0);
    } finally {
      if (api && api.child.exitCode === null) api.child.kill('SIGKILL');
      await allowConnections(true).catch(() => undefined);
      await issuer.stop();
      await database.drop();
    }
  }, 90_000);
});
