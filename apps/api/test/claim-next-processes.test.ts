import { TASK_PRIORITIES, type Task } from '@taskflow/contracts';
import { sql } from '@taskflow/db';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIssuer } from './helpers/jwks';
import { type ServiceProcess, startApisFor, stopApis } from './helpers/process';
import { restClient } from './helpers/rest';

const AGENTS = 8;
const TASKS = 240;

/**
 * Two real API processes on one PostgreSQL database, as behind a load
 * balancer: every claim is exclusive across them, and both sweep leases.
 */
describe('a fleet of agents on two API processes', () => {
  let issuer: TestIssuer;
  let database: TestDatabase;
  let apis: ServiceProcess[] = [];
  let urls: string[] = [];
  const tokens = new Map<string, string>();

  const call = async <T>(
    url: string,
    sub: string,
    method: string,
    path: string,
    body?: unknown,
  ) => {
    const res = await restClient(url)<T>(method, path, {
      token: tokens.get(sub) ?? '',
      ...(body !== undefined && { body }),
    });
    return res;
  };

  beforeAll(async () => {
    issuer = await new TestIssuer().start();
    database = await createTestDatabase({ migrate: false });
    ({ apis, urls } = await startApisFor(issuer, database.url, 2, {
      LEASE_SWEEP_INTERVAL_MS: '200',
    }));
    for (const sub of [
      'owner',
      'root',
      ...Array.from({ length: AGENTS }, (_, i) => `agent-${i}`),
    ]) {
      tokens.set(
        sub,
        await issuer.token(sub, { name: sub, ...(sub === 'root' && { role: 'admin' }) }),
      );
    }
    const [a] = urls as [string];
    expect(
      (await call(a, 'owner', 'POST', '/api/projects', { slug: 'fleet', name: 'Fleet' })).status,
    ).toBe(201);
    for (let i = 0; i < AGENTS; i++) {
      const id = `agent-${i}`;
      expect((await call(a, id, 'GET', '/api/workers/me')).status).toBe(200);
      await call(a, 'root', 'PUT', `/api/workers/${id}`, { type: 'agent', name: id });
      await call(a, 'owner', 'PUT', `/api/projects/fleet/members/${id}`, { role: 'member' });
    }
  }, 120_000);

  afterAll(async () => {
    const codes = await stopApis(apis);
    await issuer.stop();
    await database.drop();
    // The sweeper stops with the process: both exit cleanly.
    expect(codes).toEqual([0, 0]);
  }, 60_000);

  it(`${AGENTS} agents claiming at once across both processes claim each of ${TASKS} tasks exactly once`, async () => {
    const [a, b] = urls as [string, string];
    // Created in batches through both processes.
    for (let i = 0; i < TASKS; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          call(i % 40 === 0 ? a : b, 'owner', 'POST', '/api/tasks', {
            title: `job ${i + j}`,
            project_slug: 'fleet',
            priority: TASK_PRIORITIES[(i + j) % 4],
          }),
        ),
      );
    }

    const claims = new Map<string, Task[]>();
    let empties = 0;
    // Meanwhile, watch for any backend of this database waiting on a row lock (a tuple, or
    // the transaction holding one). Not counted: the cluster-wide lock every committing
    // transaction that sent NOTIFY takes in turn (the change feed's wake-up).
    let waits = 0;
    let samples = 0;
    let claiming = true;
    const watcher = (async () => {
      while (claiming) {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where not l.granted and a.datname = current_database()
            and l.locktype in ('tuple', 'transactionid')`.execute(database.db);
        waits = Math.max(waits, rows[0]?.n ?? 0);
        samples++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: AGENTS }, async (_, i) => {
        const agent = `agent-${i}`;
        const mine: Task[] = [];
        claims.set(agent, mine);
        // Each agent alternates between the processes, as a load balancer would send it.
        for (let n = 0; ; n++) {
          const res = await call<Task>(n % 2 ? b : a, agent, 'POST', '/api/tasks/claim-next', {
            project_slug: 'fleet',
          });
          if (res.status === 204) {
            empties++;
            break;
          }
          expect(res.status).toBe(200);
          mine.push(res.body);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    claiming = false;
    await watcher;
    const all = [...claims.values()].flat();
    const perSecond = all.length / seconds;
    console.log(
      `claim-next: ${all.length} claims by ${AGENTS} concurrent agents over 2 API processes in ${seconds.toFixed(2)} s = ${perSecond.toFixed(0)} claims/s; per agent ${[...claims.values()].map((c) => c.length).join(', ')}; lock waits seen in ${samples} samples: ${waits}`,
    );
    // SKIP LOCKED: no claimer ever queued behind another's row lock.
    expect(samples).toBeGreaterThan(10);
    expect(waits).toBe(0);

    // Every task once, no task twice.
    const ids = all.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(TASKS);
    expect(empties).toBe(AGENTS);
    // Each claim lands as a start by that agent, with one audit row each.
    const { rows } = await sql<{ task_id: number; n: number; actor_id: string }>`
      select task_id, count(*)::int as n, min(actor_id) as actor_id from audit_log
      where action = 'started' group by task_id`.execute(database.db);
    expect(rows).toHaveLength(TASKS);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const byTask = new Map(rows.map((r) => [r.task_id, r.actor_id]));
    for (const [agent, tasks] of claims) {
      for (const t of tasks) {
        expect(t).toMatchObject({ status: 'in_progress', assigned_to: agent, claim_epoch: 1 });
        expect(byTask.get(t.id)).toBe(agent);
      }
      // Each agent's claims come in priority order: the best ready task is always taken first.
      const ranks = tasks.map((t) => TASK_PRIORITIES.indexOf(t.priority));
      expect(ranks).toEqual([...ranks].sort((x, y) => y - x));
    }
    const pending = await database.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    expect(Number(pending.n)).toBe(0);
  }, 120_000);

  it('returns expired leases to pending once, as the system, with both processes sweeping', async () => {
    const [a, b] = urls as [string, string];
    await call(a, 'owner', 'POST', '/api/projects', { slug: 'lapse', name: 'Lapse' });
    await call(a, 'owner', 'PUT', '/api/projects/lapse/members/agent-0', { role: 'member' });
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await call<Task>(b, 'owner', 'POST', '/api/tasks', {
        title: `lapse ${i}`,
        project_slug: 'lapse',
      });
      ids.push(res.body.id);
    }
    // The agent claims them all with the shortest lease, then "crashes".
    for (let i = 0; i < ids.length; i++) {
      const res = await call<Task>(i % 2 ? a : b, 'agent-0', 'POST', '/api/tasks/claim-next', {
        project_slug: 'lapse',
        lease_seconds: 10,
      });
      expect(res.status).toBe(200);
    }
    const claimedAt = Date.now();
    const deadline = claimedAt + 30_000;
    let pending = 0;
    while (pending < ids.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const res = await call<Task[]>(a, 'owner', 'GET', '/api/tasks?project=lapse&status=pending');
      pending = res.body.length;
    }
    expect(pending).toBe(ids.length);
    // Not before the lease ran out.
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(9_000);
    // A few more sweeps by both processes change nothing.
    await new Promise((r) => setTimeout(r, 1_000));
    const { rows } = await sql<{ task_id: number; n: number }>`
      select task_id, count(*)::int as n from audit_log
      where action = 'released' and actor_type = 'system' and actor_id = 'system'
        and context->>'reason' = 'lease_expired' and context->>'previous_assignee' = 'agent-0'
      group by task_id`.execute(database.db);
    expect(rows.map((r) => r.task_id).sort((x, y) => x - y)).toEqual(ids);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const sweptBy = apis.map((api) => (api.output().match(/leases expired/g) ?? []).length);
    console.log(
      `lease sweep: ${ids.length} tasks swept once each; sweep batches per process ${sweptBy.join(', ')}`,
    );
    // And they are claimable again.
    const again = await call<Task>(b, 'agent-0', 'POST', '/api/tasks/claim-next', {
      project_slug: 'lapse',
    });
    expect(again.body).toMatchObject({ claim_epoch: 2, assigned_to: 'agent-0' });
  }, 60_000);
});
