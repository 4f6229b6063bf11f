import { AuditListInput, ProjectListInput, WebhookDeliveriesInput } from '@taskflow/contracts';
import { type DB, type Kysely, sql } from '@taskflow/db';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../src/services/actor';
import { listTaskAudit } from '../src/services/audit';
import { encodeCursor } from '../src/services/cursor';
import { listProjects } from '../src/services/projects';
import { listWebhookDeliveries } from '../src/services/webhooks';

/**
 * audit_log and webhook_deliveries ids are int8: past 2^31 a page's next_cursor must still
 * be taken back (it was refused as malformed, the list ending in a 400 after page one).
 */
describe('cursors over int8 ids past int4', () => {
  let database: TestDatabase;
  let db: Kysely<DB>;
  const owner: Actor = { id: 'owner', type: 'human', name: 'Owner', role: 'user', is_admin: false };
  let taskId = 0;
  let subId = 0;

  beforeAll(async () => {
    database = await createTestDatabase({ maxConnections: 2 });
    db = database.db;
    await sql`insert into workers (id, name) values ('owner', 'Owner')`.execute(db);
    await sql`insert into projects (slug, name, owner_id) values ('p1', 'P1', 'owner')`.execute(db);
    await sql`insert into project_members (project_id, worker_id, role)
      select id, 'owner', 'owner' from projects`.execute(db);
    taskId = (
      await sql<{ id: number }>`insert into tasks (project_id, title, created_by)
        select id, 'T', 'owner' from projects returning id`.execute(db)
    ).rows[0]?.id as number;
    await sql`alter table audit_log alter column id restart with 2147483640`.execute(db);
    await sql`insert into audit_log (task_id, project_slug, actor_id, actor_type, action, context)
      select ${taskId}, 'p1', 'owner', 'human', 'progress_updated', '{}'::jsonb
      from generate_series(1, 20)`.execute(db);
    subId = (
      await sql<{
        id: number;
      }>`insert into webhook_subscriptions (project_slug, url, secret, created_by)
        values ('p1', 'https://example.com/h', 's', 'owner') returning id`.execute(db)
    ).rows[0]?.id as number;
    await sql`insert into webhook_outbox (audit_id, subscription_id) values (1, ${subId})`.execute(
      db,
    );
    await sql`alter table webhook_deliveries alter column id restart with 2147483640`.execute(db);
    await sql`insert into webhook_deliveries (outbox_id, subscription_id, audit_id, message_id, attempt, duration_ms)
      select (select min(id) from webhook_outbox), ${subId}, 1, 'm', g, 5
      from generate_series(1, 20) g`.execute(db);
  });
  afterAll(() => database?.drop());

  async function walk(
    page: (cursor?: string) => Promise<{ items: { id: number }[]; next_cursor: string | null }>,
  ) {
    const ids: number[] = [];
    let cursor: string | undefined;
    do {
      const p = await page(cursor);
      ids.push(...p.items.map((x) => x.id));
      cursor = p.next_cursor ?? undefined;
    } while (cursor);
    return ids;
  }

  const range = (from: number, n: number) => Array.from({ length: n }, (_, k) => from + k);

  it('a task audit trail walks to its end', async () => {
    const ids = await walk((cursor) =>
      listTaskAudit(db, owner, AuditListInput.parse({ task_id: taskId, limit: 3, cursor })),
    );
    expect(ids).toEqual(range(2147483640, 20));
  });

  it('a delivery log walks to its end', async () => {
    const admin: Actor = { ...owner, role: 'admin', is_admin: true };
    const ids = await walk((cursor) =>
      listWebhookDeliveries(
        db,
        admin,
        WebhookDeliveriesInput.parse({ project_slug: 'p1', id: subId, limit: 3, cursor }),
      ),
    );
    expect(ids).toEqual(range(2147483640, 20).reverse());
  });

  it('an int4 list still refuses an id past int4 (400, not a failed cast)', async () => {
    const forged = encodeCursor('projects', {}, { v: 'P1', i: 2147483648 });
    await expect(
      listProjects(db, owner, ProjectListInput.parse({ limit: 1, cursor: forged })),
    ).rejects.toThrow(/cursor is malformed/);
  });
});
