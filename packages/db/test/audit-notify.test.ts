import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/create-db';
import { createTestDatabase, type TestDatabase } from '../src/testing';

/**
 * audit_log's trigger wakes the change feed for writers the API does not know, and stays
 * quiet for the API's own connections, whose commits the API announces itself.
 */
describe("the change feed's trigger", () => {
  let database: TestDatabase;
  const heard: string[] = [];
  let stopListening: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    const listener = await database.listen('taskflow_changes', {
      // The trigger's notifications carry nothing; the test's own markers carry their name.
      onNotify: (payload) => heard.push(payload || 'notify'),
      onLost: () => {},
    });
    stopListening = () => listener.close();
  });
  afterAll(async () => {
    await stopListening?.();
    await database.drop();
  });

  const insert = (db: TestDatabase['db']) =>
    sql`insert into audit_log (actor_id, actor_type, action, context)
      values ('script', 'system', 'released', '{}')`.execute(db);
  /**
   * Waits until every notification committed so far has arrived: a marker sent now comes
   * after them (notifications arrive in commit order), and is then taken out again.
   */
  let markers = 0;
  const settle = async () => {
    const marker = `marker-${++markers}`;
    await sql`select pg_notify('taskflow_changes', ${marker})`.execute(database.db);
    await expect.poll(() => heard.includes(marker)).toBe(true);
    heard.splice(heard.indexOf(marker), 1);
  };

  it('notifies when any other writer inserts audit rows', async () => {
    await settle();
    await insert(database.db);
    await settle();
    expect(heard).toEqual(['notify']);
    heard.length = 0;
  });

  it("stays quiet for the API's connections (taskflow.announce_changes=off)", async () => {
    const api = createDb({ databaseUrl: database.url, maxConnections: 2 });
    try {
      await settle();
      await insert(api.db);
      await insert(api.db);
      await settle();
      expect(heard).toEqual([]);
      // The audit rows were written all the same.
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from audit_log where actor_id = 'script'`.execute(database.db);
      expect(rows[0]?.n).toBe(3);
    } finally {
      await api.db.destroy();
    }
  });
});
