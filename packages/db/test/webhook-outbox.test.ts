import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEntry, type ChangeAudit, withAudit, writeAudit } from '../src/audit';
import type { DB } from '../src/schema';
import { createTestDatabase, type TestDatabase } from '../src/testing';

const started: AuditEntry = {
  task_id: 7,
  project_slug: 'demo',
  actor_id: 'alice',
  actor_type: 'human',
  action: 'started',
};

class Rollback extends Error {}

/** writeAudit queues the change for the project's webhooks in the same statement. */
describe('the webhook outbox, written with the audit row', () => {
  let database: TestDatabase;
  const subs: Record<string, number> = {};

  beforeAll(async () => {
    database = await createTestDatabase();
    await sql`insert into workers (id, name) values ('alice', 'Alice')`.execute(database.db);
    await sql`insert into projects (slug, name, owner_id) values ('demo', 'Demo', 'alice'), ('other', 'Other', 'alice')`.execute(
      database.db,
    );
    const add = async (name: string, project: string, events: string[] | null, enabled = true) => {
      const row = await database.db
        .insertInto('webhook_subscriptions')
        .values({
          project_slug: project,
          url: `https://example.com/${name}`,
          events,
          secret: 'whsec_x',
          created_by: 'alice',
          enabled,
          ...(!enabled && { disabled_at: new Date(), disabled_reason: 'off' }),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      subs[name] = row.id;
    };
    await add('all', 'demo', null);
    await add('started', 'demo', ['task.started', 'task.blocked']);
    await add('completed', 'demo', ['task.completed']);
    await add('disabled', 'demo', null, false);
    await add('elsewhere', 'other', null);
  });
  afterAll(() => database.drop());

  const queuedFor = (auditId: number) =>
    database.db
      .selectFrom('webhook_outbox')
      .select(['subscription_id', 'status', 'attempts'])
      .where('audit_id', '=', auditId)
      .orderBy('subscription_id')
      .execute();

  it('queues one pending message per enabled subscription of the project whose filter takes the event', async () => {
    const row = await database.db.transaction().execute((trx) => writeAudit(trx, started));
    expect(row).toMatchObject({ action: 'started', project_slug: 'demo', task_id: 7 });
    expect(await queuedFor(row.id)).toEqual([
      { subscription_id: subs.all, status: 'pending', attempts: 0 },
      { subscription_id: subs.started, status: 'pending', attempts: 0 },
    ]);
  });

  it('queues nothing when the change rolls back', async () => {
    let auditId = 0;
    await expect(
      database.db.transaction().execute(async (trx) => {
        auditId = (await writeAudit(trx, started)).id;
        expect(
          await trx
            .selectFrom('webhook_outbox')
            .selectAll()
            .where('audit_id', '=', auditId)
            .execute(),
        ).toHaveLength(2);
        throw new Rollback();
      }),
    ).rejects.toBeInstanceOf(Rollback);
    expect(auditId).toBeGreaterThan(0);
    expect(await queuedFor(auditId)).toEqual([]);
  });

  it('queues nothing for changes outside a project or never announced', async () => {
    const worker = await database.db
      .transaction()
      .execute((trx) =>
        writeAudit(trx, { actor_id: 'alice', actor_type: 'human', action: 'worker_renamed' }),
      );
    expect(await queuedFor(worker.id)).toEqual([]);
    const settings = await database.db
      .transaction()
      .execute((trx) => writeAudit(trx, { ...started, task_id: null, action: 'webhook_created' }));
    expect(await queuedFor(settings.id)).toEqual([]);
  });

  describe('withAudit: a change and its record in one statement', () => {
    const audit = (action: string, event_type: string | null): ChangeAudit => ({
      project_slug: sql.ref('changed.project_slug'),
      actor_id: 'alice',
      actor_type: 'agent',
      action,
      context: JSON.stringify({ title: 'T' }),
      client: 'mcp',
      event_type,
    });
    const insertTask = (trx: Kysely<DB>, slug: string, a: ChangeAudit) =>
      withAudit(
        trx
          .insertInto('tasks')
          .columns(['project_id', 'title', 'created_by'])
          .expression((eb) =>
            eb
              .selectFrom('projects')
              .select([
                'projects.id',
                sql<string>`'T'`.as('title'),
                sql<string>`'alice'`.as('created_by'),
              ])
              .where('projects.slug', '=', slug),
          )
          .returning(['tasks.id', sql<string>`${slug}::text`.as('project_slug')]),
        a,
      );
    const recordsOf = (taskId: number) =>
      database.db.selectFrom('audit_log').selectAll().where('task_id', '=', taskId).execute();

    it('records the row the change returns, and queues it as writeAudit would', async () => {
      const { rows } = await database.db
        .transaction()
        .execute((trx) => insertTask(trx, 'demo', audit('started', 'task.started')).execute(trx));
      expect(rows).toHaveLength(1);
      const taskId = (rows[0] as { id: number }).id;
      const records = await recordsOf(taskId);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        task_id: taskId,
        project_slug: 'demo',
        actor_id: 'alice',
        actor_type: 'agent',
        action: 'started',
        context: { title: 'T' },
        client: 'mcp',
      });
      const queued = await queuedFor(records[0]?.id ?? 0);
      expect(queued.map((q) => q.subscription_id)).toEqual([subs.all, subs.started]);
    });

    it('records nothing when the change returns no row', async () => {
      const before = await database.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      const { rows } = await database.db
        .transaction()
        .execute((trx) =>
          insertTask(trx, 'no-such-project', audit('started', 'task.started')).execute(trx),
        );
      expect(rows).toEqual([]);
      const after = await database.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(after.n).toBe(before.n);
    });

    it('queues nothing for an action no webhook hears, even for a subscription to everything', async () => {
      const { rows } = await database.db
        .transaction()
        .execute((trx) => insertTask(trx, 'demo', audit('worker_renamed', null)).execute(trx));
      const records = await recordsOf((rows[0] as { id: number }).id);
      expect(records).toHaveLength(1);
      expect(await queuedFor(records[0]?.id ?? 0)).toEqual([]);
    });
  });
});
