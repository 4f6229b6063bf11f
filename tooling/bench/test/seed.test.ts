import { type Harness, startHarness } from '@taskflow/api/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeedResult, seedDatabase } from '../src/seed';
import { expectedCounts, planFor, projectOf, SEARCH_WORD, statusOf } from '../src/seed-plan';

// The seeder on a small N, on a real migrated PostgreSQL database behind a real API: the rows
// are what it claims, every rule of the data holds, and the API serves them.

const TASKS = 3_000;
const PROJECTS = 7;

let h: Harness;
let client: pg.Client;
let seeded: SeedResult;
let token: string;

const one = async <T>(text: string, params: unknown[] = []): Promise<T> =>
  (await client.query(text, params)).rows[0] as T;
const count = async (text: string, params: unknown[] = []) =>
  Number((await one<{ n: string }>(text, params)).n);

async function rest(path: string, init: RequestInit = {}) {
  const response = await fetch(`${h.baseUrl}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...init.headers,
    },
  });
  return { status: response.status, body: (await response.json().catch(() => null)) as unknown };
}

beforeAll(async () => {
  h = await startHarness();
  client = new pg.Client({ connectionString: h.database.url });
  await client.connect();
  seeded = await seedDatabase(client, { tasks: TASKS, projects: PROJECTS });
  const owner = seeded.workerIds[0] as string;
  token = await h.issuer.token(owner, { name: 'Bench worker 0', email: `${owner}@bench.local` });
});

afterAll(async () => {
  await client?.end();
  await h?.stop();
});

describe('the seed', () => {
  const plan = planFor(TASKS, { projects: PROJECTS });
  const expected = expectedCounts(plan);

  it('has the planned tasks per status and per project', async () => {
    const { rows } = await client.query<{ status: string; n: string }>(
      'select status, count(*) as n from tasks group by status',
    );
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    expect(byStatus).toEqual(expected.byStatus);
    // Every status is there in a realistic share.
    for (const n of Object.values(expected.byStatus)) expect(n).toBeGreaterThan(TASKS / 40);

    const perProject = await client.query<{ project: number; n: string }>(
      'select project_id - $1 + 1 as project, count(*) as n from tasks group by project_id',
      [seeded.mainProjectId],
    );
    expect(new Map(perProject.rows.map((r) => [Number(r.project), Number(r.n)]))).toEqual(
      expected.perProject,
    );
    expect(expected.main).toBe(TASKS / 2);
    expect(await count('select count(*) as n from tasks')).toBe(TASKS);
  });

  it('matches the plan task by task', async () => {
    const { rows } = await client.query<{ id: number; status: string; project_id: number }>(
      'select id, status, project_id from tasks order by id',
    );
    const misplaced = rows.filter((row, k) => {
      const planned = seeded.firstTaskId + k === row.id && statusOf(k) === row.status;
      return !planned || row.project_id !== seeded.mainProjectId + projectOf(plan, k) - 1;
    });
    expect(misplaced).toEqual([]);
  });

  it('has the projects, workers and memberships it claims', async () => {
    expect(await count('select count(*) as n from projects')).toBe(PROJECTS);
    expect(await count('select count(*) as n from workers')).toBe(plan.workers + 1);
    expect(await count("select count(*) as n from workers where type = 'agent'")).toBe(
      plan.workers / 4,
    );
    const main = await count('select count(*) as n from project_members where project_id = $1', [
      seeded.mainProjectId,
    ]);
    expect(main).toBe(plan.workers);
    const small = await client.query<{ n: string }>(
      `select count(*) as n from project_members where project_id <> $1
       group by project_id order by project_id`,
      [seeded.mainProjectId],
    );
    // Four members each; the last project also has the solo worker.
    expect(small.rows.map((r) => Number(r.n))).toEqual([...Array(PROJECTS - 2).fill(4), 5]);
    expect(
      await count(
        `select count(*) as n from projects p where not exists (select 1 from project_members m
         where m.project_id = p.id and m.worker_id = p.owner_id and m.role = 'owner')`,
      ),
    ).toBe(0);
    const solo = await client.query<{ slug: string }>(
      'select p.slug from project_members m join projects p on p.id = m.project_id where m.worker_id = $1',
      [seeded.soloWorker],
    );
    expect(solo.rows).toEqual([{ slug: seeded.soloSlug }]);
  });

  it('keeps the rules the API keeps', async () => {
    // Assignees and creators are members of the task's project.
    expect(
      await count(
        `select count(*) as n from tasks t where not exists (select 1 from project_members m
           where m.project_id = t.project_id and m.worker_id = t.created_by)
         or (t.assigned_to is not null and not exists (select 1 from project_members m
           where m.project_id = t.project_id and m.worker_id = t.assigned_to))`,
      ),
    ).toBe(0);
    // Claimed statuses have an assignee and a start; completed ones an end; leases only in progress.
    expect(
      await count(
        `select count(*) as n from tasks where
           (status in ('in_progress', 'review', 'completed') and (assigned_to is null or started_at is null))
           or ((status = 'completed') <> (completed_at is not null))
           or ((status = 'in_progress') <> (lease_expires_at is not null))
           or (status = 'completed' and progress_percent <> 100)
           or updated_at < created_at or updated_at > now()`,
      ),
    ).toBe(0);
    // The counting trigger's columns agree with the edges; edges stay in a project and wait
    // for earlier tasks (no cycles); only pending tasks wait.
    expect(
      await count(
        `select count(*) as n from tasks t where
           depends_on_count <> (select count(*) from task_dependencies d where d.task_id = t.id)
           or dependents_count <> (select count(*) from task_dependencies d where d.depends_on_id = t.id)`,
      ),
    ).toBe(0);
    expect(seeded.dependencies).toBeGreaterThan(0);
    expect(
      await count(
        `select count(*) as n from task_dependencies d join tasks t on t.id = d.task_id
         where d.depends_on_id >= d.task_id or t.status <> 'pending'`,
      ),
    ).toBe(0);
    expect(
      await count('select count(*) as n from tasks where parent_id is not null'),
    ).toBeGreaterThan(0);
    expect(await count('select count(*) as n from tasks where parent_id >= id')).toBe(0);
  });

  it('gives every task the trail of its status', async () => {
    expect(
      await count(
        `select count(*) as n from tasks t where (select count(*) from audit_log a
           where a.task_id = t.id and a.action = 'created') <> 1`,
      ),
    ).toBe(0);
    const last = await client.query<{ status: string; action: string; n: string }>(
      `select t.status, a.action, count(*) as n from tasks t
       join lateral (select action from audit_log a where a.task_id = t.id
                     and a.action <> 'dependency_added' order by a.id desc limit 1) a on true
       group by 1, 2 order by 1, 2`,
    );
    expect(last.rows.map((r) => `${r.status}:${r.action}`)).toEqual([
      'blocked:blocked',
      'completed:completed',
      'in_progress:started',
      'pending:created',
      'review:submitted_for_review',
    ]);
    expect(
      await count("select count(*) as n from audit_log where action = 'dependency_added'"),
    ).toBe(seeded.dependencies);
    // Still append-only.
    await expect(client.query('delete from audit_log where id = 1')).rejects.toThrow(/append-only/);
  });
});

describe('the API on the seed', () => {
  it('lists, counts and gets the seeded tasks', async () => {
    const list = await rest(`/api/tasks?project=${seeded.mainSlug}&limit=50`);
    expect(list.status).toBe(200);
    const items = list.body as { id: number; project_slug: string; created_at: string }[];
    expect(items).toHaveLength(50);
    expect(new Set(items.map((t) => t.project_slug))).toEqual(new Set([seeded.mainSlug]));
    // Newest first: the last seeded task of the main project leads.
    const newest = await one<{ id: number }>(
      'select max(id) as id from tasks where project_id = $1',
      [seeded.mainProjectId],
    );
    expect(items[0]?.id).toBe(newest.id);

    const counts = await rest(`/api/tasks/counts?project_slug=${seeded.mainSlug}`);
    expect(counts.status).toBe(200);
    expect((counts.body as { total: number }).total).toBe(TASKS / 2);

    const searched = await rest(`/api/tasks?project=${seeded.mainSlug}&q=${SEARCH_WORD}&limit=100`);
    expect(searched.status).toBe(200);
    const titles = (searched.body as { title: string }[]).map((t) => t.title);
    expect(titles.length).toBeGreaterThan(0);
    expect(titles.every((t) => t.toLowerCase().includes(SEARCH_WORD))).toBe(true);

    const waiting = await one<{ id: number; depends_on_id: number }>(
      'select task_id as id, depends_on_id from task_dependencies order by task_id limit 1',
    );
    const got = await rest(`/api/tasks/${waiting.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: waiting.id, blocked_by: [waiting.depends_on_id] });
  });

  it('creates after the seeded ids and claims from the seeded queue', async () => {
    const created = await rest('/api/tasks', {
      method: 'POST',
      body: JSON.stringify({ title: 'After the seed', project_slug: seeded.mainSlug }),
    });
    expect(created.status).toBe(201);
    expect((created.body as { id: number }).id).toBe(seeded.firstTaskId + TASKS);

    const agentId = seeded.workerIds[3] as string;
    token = await h.issuer.token(agentId, {
      name: 'Bench worker 3',
      email: `${agentId}@bench.local`,
      worker_type: 'agent',
    });
    const claimed = await rest('/api/tasks/claim-next', {
      method: 'POST',
      body: JSON.stringify({ project_slug: seeded.mainSlug }),
    });
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ status: 'in_progress', assigned_to: agentId });
  });
});
