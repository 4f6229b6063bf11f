import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Database } from '../src/create-db';
import { isStalePlan } from '../src/named-statements';
import { createTestDatabase, type TestDatabase } from '../src/testing';

/**
 * The API's connections prepare each statement once by name and reuse it, so PostgreSQL
 * neither parses nor replans it per call; a plan gone stale under a migration is
 * prepared again rather than failing forever.
 */
describe('named statements', () => {
  let database: TestDatabase;
  let app: Database;

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
    // One connection, so every statement below runs on the session it inspects.
    app = createDb({ databaseUrl: database.url, maxConnections: 1 });
    await sql`create table gadgets (id int primary key, label text)`.execute(app.db);
    await sql`insert into gadgets values (1, 'one'), (2, 'two')`.execute(app.db);
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  const prepared = async () => {
    const { rows } = await sql<{ statement: string }>`
      select statement from pg_prepared_statements`.execute(app.db);
    return rows.map((row) => row.statement);
  };
  const label = async (id: number) =>
    (await app.db
      .selectFrom('gadgets' as never)
      .selectAll()
      .where(sql.ref('id'), '=', id)
      .executeTakeFirstOrThrow()) as { id: number; label: string };

  it('prepares a repeated statement once and answers it with each call’s own values', async () => {
    expect(await label(1)).toEqual({ id: 1, label: 'one' });
    expect(await label(2)).toEqual({ id: 2, label: 'two' });
    const statements = await prepared();
    const reads = statements.filter((text) => text.includes('from "gadgets"'));
    expect(reads).toHaveLength(1);
    // Utility statements stay unnamed: PostgreSQL prepares none of them.
    expect(statements.some((text) => text.startsWith('create table'))).toBe(false);
  });

  it('prepares again, once, after a migration changes the columns under a prepared read', async () => {
    expect(await label(1)).toMatchObject({ label: 'one' });
    await sql`alter table gadgets add column colour text`.execute(app.db);
    const stale = await label(1).catch((error: unknown) => error);
    expect(isStalePlan(stale)).toBe(true);
    expect(await label(1)).toEqual({ id: 1, label: 'one', colour: null });
    expect(await label(2)).toEqual({ id: 2, label: 'two', colour: null });
  });
});
