import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Database } from '../src/create-db';
import { createTestDatabase, type TestDatabase } from '../src/testing';
import { PgTimestamp, parseTimestamptz, TIMESTAMPTZ_OID } from '../src/timestamps';

const pgParse = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date;

const VALUES = [
  '2026-11-28 06:18:38.123456+00',
  '2026-11-28 06:18:38.999999+00',
  '2026-11-28 06:18:38.1+00',
  '2026-11-28 06:18:38.12+00',
  '2026-11-28 06:18:38+00',
  '2026-02-28 23:59:59.0005+00',
  '2024-02-29 00:00:00.000001+00',
  '1000-01-01 00:00:00+00',
  '1969-12-31 23:59:59.999+00',
  '9999-12-31 23:59:59.999999+00',
  '2026-06-01 12:00:00+02',
  '0044-03-15 12:00:00+00 BC',
  '12026-01-01 00:00:00+00',
  'infinity',
  '-infinity',
];

/** What pg hands back from the API's connections: rows, and timestamps. */
describe('values read through pg', () => {
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

  /**
   * pg is patched (patches/pg@8.23.1.patch) to build its row template as a plain object;
   * a column named __proto__ must still come back as a key, never as the row's prototype.
   */
  describe('rows', () => {
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

  describe('arrays', () => {
    it('read as pg reads them, an empty one as a fresh array each time', async () => {
      const { rows } = await sql<Record<string, unknown[]>>`
        select '{}'::int[] as a, '{}'::int[] as b, '{3,1,2}'::int[] as ints,
          '{}'::text[] as none, array['x', 'a,b', '"q"', null, ''] as texts,
          '{{1,2},{3,4}}'::int[] as nested`.execute(app.db);
      const [row] = rows;
      expect(row).toEqual({
        a: [],
        b: [],
        ints: [3, 1, 2],
        none: [],
        texts: ['x', 'a,b', '"q"', null, ''],
        nested: [
          [1, 2],
          [3, 4],
        ],
      });
      expect(row?.a).not.toBe(row?.b);
    });
  });

  /** Timestamps come back as PostgreSQL sends them, read exactly as pg's own parser reads them. */
  describe('timestamptz', () => {
    it('reads every form PostgreSQL sends as pg would, and keeps the ISO text of the common one', async () => {
      const { rows } = await sql<{ text: string; at: Date; ms: number | null }>`
        select t::text as text, t as at,
          case when isfinite(t) then floor(extract(epoch from t) * 1000)::float8 end as ms
        from unnest(${VALUES}::timestamptz[]) as t`.execute(app.db);
      expect(rows).toHaveLength(VALUES.length);
      let fast = 0;
      for (const row of rows) {
        const expected = pgParse(row.text);
        // pg reads the infinities as the strings 'infinity' and '-infinity'.
        if (!(expected instanceof Date)) {
          expect(row.at, row.text).toBe(expected);
          continue;
        }
        expect(row.at.getTime(), row.text).toBe(expected.getTime());
        if (row.ms !== null) expect(row.at.getTime(), row.text).toBe(row.ms);
        expect(row.at.toISOString(), row.text).toBe(expected.toISOString());
        expect(JSON.stringify({ at: row.at }), row.text).toBe(JSON.stringify({ at: expected }));
        if (row.at instanceof PgTimestamp) fast += 1;
      }
      // The API's sessions are UTC: all but BC, infinities and the five-digit year take the fast path.
      expect(fast).toBe(VALUES.length - 4);
    });

    it('sends the offset another zone would have used back to pg', () => {
      const plus2 = parseTimestamptz('2026-06-01 14:00:00.5+02');
      expect(plus2).not.toBeInstanceOf(PgTimestamp);
      expect(plus2.toISOString()).toBe('2026-06-01T12:00:00.500Z');
    });

    it('answers for its new time once changed in place', () => {
      const at = parseTimestamptz('2026-11-28 06:18:38.123456+00');
      expect(at).toBeInstanceOf(PgTimestamp);
      expect(at.toISOString()).toBe('2026-11-28T06:18:38.123Z');
      at.setUTCHours(7);
      expect(at.toISOString()).toBe('2026-11-28T07:18:38.123Z');
    });

    it('reads rows written with now() round-trip: what is sent back finds the same row', async () => {
      await sql`create table stamps (id int primary key, at timestamptz not null)`.execute(app.db);
      await sql`insert into stamps values (1, now()), (2, now() + interval '1.5 ms')`.execute(
        app.db,
      );
      const { rows } = await sql<{
        id: number;
        at: Date;
      }>`select id, at from stamps order by id`.execute(app.db);
      for (const row of rows) {
        const { rows: same } = await sql<{ id: number }>`
          select id from stamps where date_trunc('milliseconds', at) = ${row.at.toISOString()}::timestamptz`.execute(
          app.db,
        );
        expect(same.map((r) => r.id)).toEqual([row.id]);
      }
    });
  });
});
