import { CamelCasePlugin, type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Database } from '../src/create-db';
import { preparedQuery } from '../src/prepared-query';
import type { DB } from '../src/schema';
import { createTestDatabase, type TestDatabase } from '../src/testing';

type Gadget = { id: number; label: string; kind: string | null };
// A table of this test's own, outside the schema's types.
const gadgets = (db: Kysely<DB>) =>
  (db as unknown as Kysely<{ gadgets: Gadget }>).selectFrom('gadgets');

describe('preparedQuery: compiled once, run with each call’s values', () => {
  let database: TestDatabase;
  let app: Database;
  let embedded: Database;

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
    app = createDb({ databaseUrl: database.url, maxConnections: 2 });
    embedded = createDb({ dataDir: 'memory://' });
    for (const db of [app.db, embedded.db]) {
      await sql`create table gadgets (id int primary key, label text not null, kind text)`.execute(
        db,
      );
      await sql`insert into gadgets values (1, 'one', 'a'), (2, 'two', 'b'), (3, 'three', null), (4, 'one', 'b')`.execute(
        db,
      );
    }
  });
  afterAll(async () => {
    await app.close();
    await embedded.close();
    await database.drop();
  });

  let builds = 0;
  const byLabel = preparedQuery((db, label: string, notId: number) => {
    builds += 1;
    return gadgets(db)
      .selectAll()
      .where('label', '=', label)
      .where('id', '<>', notId)
      .where('kind', 'is not', null) // a constant of the query, kept as it was compiled
      .orderBy('id');
  });

  it('answers as the query built for each call would, and builds it once per database', async () => {
    const cases: [string, number][] = [
      ['one', 0],
      ['one', 1],
      ['two', 0],
      ['three', 0],
      ['nothing', 0],
    ];
    for (const db of [app.db, embedded.db]) {
      for (const [label, notId] of cases) {
        const expected = await gadgets(db)
          .selectAll()
          .where('label', '=', label)
          .where('id', '<>', notId)
          .where('kind', 'is not', null)
          .orderBy('id')
          .execute();
        expect(await byLabel(db, label, notId), `${label} ${notId}`).toEqual(expected);
      }
    }
    expect((await byLabel(app.db, 'one', 0)).map((g) => g.id)).toEqual([1, 4]);
    expect(builds).toBe(2);
  });

  it('runs on the transaction it is given: sees its writes, and nothing after rollback', async () => {
    const rolledBack = new Error('rollback');
    await expect(
      app.db.transaction().execute(async (trx) => {
        await sql`insert into gadgets values (5, 'five', 'c')`.execute(trx);
        expect(await byLabel(trx, 'five', 0)).toEqual([{ id: 5, label: 'five', kind: 'c' }]);
        expect(await byLabel(app.db, 'five', 0)).toEqual([]);
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
    expect(await byLabel(app.db, 'five', 0)).toEqual([]);
  });

  it('builds the query for each call on a database with plugins, which may rewrite it', async () => {
    const before = builds;
    const camel = app.db.withPlugin(new CamelCasePlugin());
    const rows = await byLabel(camel, 'one', 0);
    expect(rows.map((g) => g.id)).toEqual([1, 4]);
    await byLabel(camel, 'two', 0);
    expect(builds).toBe(before + 2);
    // Its results go through the plugin too; the plain database's do not.
    const label = preparedQuery((db, id: number) =>
      gadgets(db).select('label as some_label').where('id', '=', id),
    );
    expect(await label(camel, 1)).toEqual([{ someLabel: 'one' }]);
    expect(await label(app.db, 1)).toEqual([{ some_label: 'one' }]);
  });

  it('refuses a query that does not use every argument as a parameter', async () => {
    const unused = preparedQuery((db, _id: number) => gadgets(db).selectAll());
    await expect(unused(app.db, 1)).rejects.toThrow(
      /every argument must be a parameter \(unused: 1\)/,
    );
    // Arguments are counted at the call, so a default never stands in for the first call's value.
    const defaulted = preparedQuery((db, id: number = 1) =>
      gadgets(db).selectAll().where('id', '=', id),
    );
    expect(await defaulted(app.db, 2)).toEqual([{ id: 2, label: 'two', kind: 'b' }]);
    expect(await defaulted(app.db, 3)).toEqual([{ id: 3, label: 'three', kind: null }]);
    await expect(defaulted(app.db)).rejects.toThrow(/called with 0 arguments, compiled with 1/);
    const literal = preparedQuery((db, id: number) =>
      gadgets(db).selectAll().where('id', '=', sql.lit(id)),
    );
    await expect(literal(app.db, 2)).rejects.toThrow();
  });
});
