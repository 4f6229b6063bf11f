import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Database } from '../src/create-db';
import { isDatabaseUnavailable } from '../src/errors';
import { createTestDatabase, type TestDatabase } from '../src/testing';

/** Awaits a promise that must reject and returns the reason. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('a pool whose connections the server terminates', () => {
  let server: TestDatabase;
  let database: Database;
  const reported: Error[] = [];
  beforeAll(async () => {
    server = await createTestDatabase();
    database = createDb({
      databaseUrl: server.url,
      maxConnections: 4,
      onPoolError: (error) => reported.push(error),
    });
  });
  afterAll(async () => {
    await database.close();
    await server.drop();
  });

  // An 'error' event nobody listens to would surface here as an uncaught exception.
  it('fails a transaction that was idle when its connection died, as "unavailable", and reports it', async () => {
    const failed = await rejection(
      database.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        // Idle in transaction, checked out of the pool, when the server ends it.
        await server.terminateConnections();
        await new Promise((r) => setTimeout(r, 100));
        await sql`select 2`.execute(trx);
      }),
    );
    expect(isDatabaseUnavailable(failed)).toBe(true);
    expect(reported.length).toBeGreaterThan(0);
  });

  it('fails a query in flight as "unavailable"', async () => {
    const failed = rejection(sql`select pg_sleep(5)`.execute(database.db));
    await new Promise((r) => setTimeout(r, 200));
    await server.terminateConnections();
    expect(isDatabaseUnavailable(await failed)).toBe(true);
  });

  it('reconnects by itself afterwards', async () => {
    // An idle connection whose end has not reached the client yet can fail one
    // more query (a 503 to the caller); the pool then drops it and opens anew.
    let lastError: unknown;
    for (let attempt = 0; attempt <= 4; attempt++) {
      try {
        const { rows } = await sql<{ one: number }>`select 1 as one`.execute(database.db);
        expect(rows).toEqual([{ one: 1 }]);
        return;
      } catch (error) {
        expect(isDatabaseUnavailable(error)).toBe(true);
        lastError = error;
      }
    }
    throw lastError;
  });
});
