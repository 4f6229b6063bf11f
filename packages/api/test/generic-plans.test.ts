import {
  AuditListInput,
  ProjectListInput,
  TaskClaimNextInput,
  WebhookListInput,
  WorkerListInput,
} from '@taskflow/contracts';
import { type DB, type Kysely, sql } from '@taskflow/db';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../src/services/actor';
import { listTaskAudit } from '../src/services/audit';
import { claimNextTask } from '../src/services/claim-next';
import { listProjects } from '../src/services/projects';
import { listWebhooks } from '../src/services/webhooks';
import { listWorkers } from '../src/services/workers';

/**
 * PostgreSQL plans each run of a prepared statement until its generic plan wins, and it
 * never did for a claim (a parameter status hid the partial index of pending tasks; a
 * parameter LIMIT the order's cost) nor for a page with its LIMIT and OFFSET as parameters:
 * planning cost more than running them. Each statement here, run ten times on the one
 * connection, must have gone generic.
 */
describe('statements PostgreSQL need not plan on every run', () => {
  let database: TestDatabase;
  let db: Kysely<DB>;
  const agent: Actor = { id: 'ag', type: 'agent', name: 'Agent', role: 'user', is_admin: false };
  const admin: Actor = { ...agent, id: 'root', type: 'human', role: 'admin', is_admin: true };
  let taskId = 0;

  beforeAll(async () => {
    database = await createTestDatabase({ maxConnections: 1 });
    db = database.db;
    await sql`insert into workers (id, name, type) values ('ag', 'Agent', 'agent'), ('root', 'Root', 'human')`.execute(
      db,
    );
    await sql`insert into workers (id, name) select 'w' || g, 'Worker ' || g from generate_series(1, 2000) g`.execute(
      db,
    );
    await sql`insert into projects (slug, name, owner_id)
      select 'p' || g, 'Project ' || g, 'ag' from generate_series(1, 300) g`.execute(db);
    await sql`insert into project_members (project_id, worker_id, role)
      select id, 'ag', 'owner' from projects`.execute(db);
    await sql`insert into tasks (project_id, title, created_by, priority)
      select 1 + g % 3, 'Task ' || g, 'ag', (array['low','medium','high','critical'])[1 + g % 4]
      from generate_series(1, 10000) g`.execute(db);
    taskId = Number(
      (await sql<{ id: number }>`select min(id) as id from tasks`.execute(db)).rows[0]?.id,
    );
    await sql`insert into audit_log (task_id, project_slug, actor_id, actor_type, action, context)
      select ${taskId}, 'p1', 'ag', 'agent', 'task_updated', '{}' from generate_series(1, 300)`.execute(
      db,
    );
    await sql`analyze`.execute(db);
  });
  afterAll(() => database.drop());

  async function genericRuns(fragment: string): Promise<number[]> {
    const { rows } = await sql<{ generic: number }>`select generic_plans::int as generic
      from pg_prepared_statements where statement like ${`%${fragment}%`}`.execute(db);
    return rows.map((r) => r.generic);
  }

  async function tenTimes(run: () => Promise<unknown>): Promise<void> {
    for (let i = 0; i < 10; i++) await run();
  }

  it('a claim', async () => {
    await tenTimes(() =>
      db.transaction().execute((trx) => claimNextTask(trx, agent, TaskClaimNextInput.parse({}))),
    );
    const [claim] = await genericRuns('skip locked');
    expect(claim).toBeGreaterThan(0);
  });

  it('pages of projects, workers, a task audit trail and webhooks', async () => {
    await tenTimes(() => listProjects(db, agent, ProjectListInput.parse({})));
    await tenTimes(() => listWorkers(db, agent, WorkerListInput.parse({})));
    await tenTimes(() => listTaskAudit(db, agent, AuditListInput.parse({ task_id: taskId })));
    await tenTimes(() => listWebhooks(db, admin, WebhookListInput.parse({ project_slug: 'p1' })));
    for (const fragment of [
      'order by "projects"."name"',
      'order by "workers"."name"',
      'from "audit_log" where "task_id"',
      'from "webhook_subscriptions"',
    ]) {
      const runs = await genericRuns(fragment);
      expect(runs.length, fragment).toBeGreaterThan(0);
      expect(Math.max(...runs), fragment).toBeGreaterThan(0);
    }
  });
});
