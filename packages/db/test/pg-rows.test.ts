import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Database } from '../src/create-db';
import { createTestDatabase, type TestDatabase } from '../src/testing';

/**
 * pg is patched (patches/pg@8.23.1.patch) to build its row template as a plain object;
 * a column named __proto__ must still come back as a key, never as the row's prototype.
 */
describe('rows as pg returns them', () => {
  let database: TestDatabase;
  let app: Database;

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
    app = createDb({ databaseUrl: database.url, maxConnections: 1 });
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('are plain objects with one key per column, in order', async () => {
    const { rows } = await sql<Record<string, unknown>>`
      select 1 as id, 'a' as title, null::text as note, 'x' as "constructor"`.execute(app.db);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row ?? {})).toEqual(['id', 'title', 'note', 'constructor']);
    expect(row).toEqual({ id: 1, title: 'a', note: null, constructor: 'x' });
  });

  it('keep a column named __proto__ as a key', async () => {
    const { rows } = await sql<Record<string, unknown>>`
      select 1 as id, '{"polluted": true}' as "__proto__", 2 as after`.execute(app.db);
    const [row] = rows;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row ?? {})).toEqual(['id', '__proto__', 'after']);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe('{"polluted": true}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The next result, without such a column, is built the fast way again.
    const { rows: next } = await sql<Record<string, unknown>>`select 3 as id`.execute(app.db);
    expect(next).toEqual([{ id: 3 }]);
  });
});
