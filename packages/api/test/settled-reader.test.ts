import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettledReader } from '../src/events/settled-reader';

/** The feed's reader against real concurrent transactions on PostgreSQL. */
describe('SettledReader', () => {
  let database: TestDatabase;
  const clients: pg.Client[] = [];

  const client = async () => {
    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    clients.push(c);
    return c;
  };
  const insert = async (c: pg.Client, note: string) =>
    Number(
      (
        await c.query<{ id: string }>(
          `insert into audit_log (actor_id, actor_type, action, context)
           values ('t', 'system', 'released', $1) returning id`,
          [JSON.stringify({ note })],
        )
      ).rows[0]?.id,
    );
  const notes = (rows: { context: Record<string, unknown> }[]) => rows.map((r) => r.context.note);

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const c of clients) await c.end();
    await database.drop();
  });

  it('waits for two open transactions with lower ids, whatever order they commit in', async () => {
    const reader = new SettledReader(0);
    const [a, b, c] = [await client(), await client(), await client()];
    await a.query('begin');
    await b.query('begin');
    expect(await insert(a, 'a')).toBe(1);
    expect(await insert(b, 'b')).toBe(2);
    expect(await insert(c, 'c')).toBe(3); // committed first
    expect(await reader.read(database.db, 100)).toEqual([]);
    expect(reader.waiting).toBe(true);
    // Still nothing on a second look: both may yet commit.
    expect(await reader.read(database.db, 100)).toEqual([]);
    await b.query('commit');
    expect(await reader.read(database.db, 100)).toEqual([]);
    await a.query('commit');
    expect(notes(await reader.read(database.db, 100))).toEqual(['a', 'b', 'c']);
    expect(reader.cursor).toBe(3);
    expect(reader.waiting).toBe(false);
  });

  it('steps over ids whose transactions rolled back, once they are over, and never sooner', async () => {
    const reader = new SettledReader(3);
    const [a, b] = [await client(), await client()];
    await a.query('begin');
    expect(await insert(a, 'lost-1')).toBe(4);
    expect(await insert(a, 'lost-2')).toBe(5);
    expect(await insert(b, 'kept')).toBe(6);
    expect(await reader.read(database.db, 100)).toEqual([]);
    await a.query('rollback');
    // The read that sees the transaction gone also sees the row is not there: skip.
    expect(notes(await reader.read(database.db, 100))).toEqual(['kept']);
    expect(reader.cursor).toBe(6);
  });

  it('reads in batches, and a gap found in a later batch holds only what follows it', async () => {
    const reader = new SettledReader(6);
    const [a, b] = [await client(), await client()];
    for (const n of [1, 2, 3]) await insert(b, `n${n}`); // 7, 8, 9
    await a.query('begin');
    await insert(a, 'late'); // 10
    await insert(b, 'after'); // 11
    expect(notes(await reader.read(database.db, 2))).toEqual(['n1', 'n2']);
    expect(notes(await reader.read(database.db, 2))).toEqual(['n3']);
    expect(reader.cursor).toBe(9);
    await a.query('commit');
    expect(notes(await reader.read(database.db, 100))).toEqual(['late', 'after']);
  });

  it('is not held up by long transactions that write no audit rows, here or in another database', async () => {
    const reader = new SettledReader(11);
    const [a, b, elsewhere, idle] = [
      await client(),
      await client(),
      new pg.Client({ connectionString: database.url.replace(/\/[^/]*$/, '/postgres') }),
      await client(),
    ];
    await elsewhere.connect();
    clients.push(elsewhere);
    try {
      // Transactions with transaction ids, open throughout: one in another database, one here.
      await elsewhere.query('begin');
      await elsewhere.query('select pg_current_xact_id()');
      await idle.query('begin');
      await idle.query('select pg_current_xact_id()');
      await a.query('begin');
      expect(await insert(a, 'gone')).toBe(12);
      expect(await insert(b, 'next')).toBe(13);
      expect(await reader.read(database.db, 100)).toEqual([]);
      await a.query('rollback');
      expect(notes(await reader.read(database.db, 100))).toEqual(['next']);
      expect(reader.waiting).toBe(false);
    } finally {
      await elsewhere.query('rollback');
      await idle.query('rollback');
    }
  });
});
