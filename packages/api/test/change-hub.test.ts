import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { createLogger } from '@taskflow/service';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeHub } from '../src/events/change-hub';
import { MembershipView } from '../src/events/visibility';

/** The hub's starting point on PostgreSQL: never past an id that may still commit. */
describe('ChangeHub start', () => {
  let database: TestDatabase;
  let hub: ChangeHub;

  beforeAll(async () => {
    database = await createTestDatabase();
    hub = new ChangeHub({
      db: database.db,
      listen: database.listen,
      logger: createLogger({ service: 'api', level: 'silent' }),
    });
  });
  afterAll(async () => {
    await hub.close();
    await database.drop();
  });

  it('waits for a transaction holding a lower id before it settles its horizon', async () => {
    const [a, b] = [
      new pg.Client({ connectionString: database.url }),
      new pg.Client({ connectionString: database.url }),
    ];
    await a.connect();
    await b.connect();
    const insert = (c: pg.Client, note: string) =>
      c.query(
        `insert into audit_log (project_slug, actor_id, actor_type, action, context)
         values ('p', 't', 'system', 'released', $1)`,
        [JSON.stringify({ note })],
      );
    try {
      await a.query('begin');
      await insert(a, 'early'); // id 1, not committed
      await insert(b, 'later'); // id 2, committed
      let started = false;
      const starting = hub.start().then(() => {
        started = true;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(started).toBe(false);
      await a.query('commit');
      await starting;
      expect(hub.horizon).toBe(2);
      const admin = new MembershipView(database.db, { id: 'root', is_admin: true });
      const batch = await hub.eventsAfter(0, {}, admin, 10);
      expect(batch.events.map((e) => [e.id, e.context.note])).toEqual([
        [1, 'early'],
        [2, 'later'],
      ]);
      expect(batch.cursor).toBe(2);
      // A member of nothing sees nothing, and is told how far was looked.
      const stranger = new MembershipView(database.db, { id: 'nobody', is_admin: false });
      expect(await hub.eventsAfter(0, {}, stranger, 10)).toEqual({ events: [], cursor: 2 });
    } finally {
      await a.end();
      await b.end();
    }
  });
});
