import { sql } from '@taskflow/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, failure, type Harness, startHarness } from './helpers/harness';

const CLAIMANTS = 20;

describe('claims are exclusive', () => {
  let h: Harness;
  let owner: Client;
  let workers: Client[];

  beforeAll(async () => {
    // One pooled connection per concurrent request, so the database, not the pool, decides.
    h = await startHarness({ maxConnections: CLAIMANTS + 5 });
    owner = await h.as('owner');
    await owner.projects.create.mutate({ slug: 'race', name: 'Race' });
    workers = [];
    for (let i = 0; i < CLAIMANTS; i++) {
      const client = await h.as(`w${i}`);
      await client.workers.me.query();
      await owner.projects.addMember.mutate({ slug: 'race', worker_id: `w${i}` });
      workers.push(client);
    }
  });
  afterAll(() => h.stop());

  it(`of ${CLAIMANTS} concurrent starts exactly one wins; the rest get 409`, async () => {
    const { id } = await owner.tasks.create.mutate({ title: 'Contested', project_slug: 'race' });
    const before = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_stat_activity where datname = current_database()`.execute(
      h.database.db,
    );
    const results = await Promise.allSettled(workers.map((w) => w.tasks.start.mutate({ id })));
    const wins = results.filter((r) => r.status === 'fulfilled');
    const losses = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(wins).toHaveLength(1);
    expect(losses).toHaveLength(CLAIMANTS - 1);
    for (const loss of losses) {
      const error = await failure(Promise.reject(loss.reason));
      expect(error).toMatchObject({ code: 'CONFLICT', httpStatus: 409 });
      expect(error.message).toBe("Cannot start task with status 'in_progress'");
    }
    const winner = (wins[0] as PromiseFulfilledResult<{ assigned_to: string | null }>).value
      .assigned_to;
    const task = await owner.tasks.get.query({ id });
    expect(task).toMatchObject({ status: 'in_progress', version: 2, assigned_to: winner });

    const started = await h.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('task_id', '=', id)
      .where('action', '=', 'started')
      .execute();
    expect(started).toHaveLength(1);
    expect(started[0]?.actor_id).toBe(winner);
    // The requests really ran on separate connections.
    const during = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_stat_activity where datname = current_database()`.execute(
      h.database.db,
    );
    expect(during.rows[0]?.n).toBeGreaterThan(before.rows[0]?.n ?? 0);
  });
});
