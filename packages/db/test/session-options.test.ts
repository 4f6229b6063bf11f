import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/create-db';
import { createTestDatabase, type TestDatabase } from '../src/testing';

/** The API's session settings, and DATABASE_URL's own `options` beside them. */
describe('session options', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
  });
  afterAll(() => database.drop());

  const settings = async (url: string) => {
    const app = createDb({ databaseUrl: url, maxConnections: 1 });
    try {
      const { rows } = await sql<{ jit: string; zone: string; announce: string; timeout: string }>`
        select current_setting('jit') as jit, current_setting('TimeZone') as zone,
          current_setting('taskflow.announce_changes', true) as announce,
          current_setting('statement_timeout') as timeout`.execute(app.db);
      return rows[0];
    } finally {
      await app.close();
    }
  };

  it('sets jit off, TimeZone UTC and announce_changes off', async () => {
    expect(await settings(database.url)).toMatchObject({
      jit: 'off',
      zone: 'UTC',
      announce: 'off',
    });
  });

  it('keeps them when DATABASE_URL brings options of its own, which apply too', async () => {
    const url = new URL(database.url);
    url.searchParams.set('options', '-c statement_timeout=4321');
    expect(await settings(url.toString())).toEqual({
      jit: 'off',
      zone: 'UTC',
      announce: 'off',
      timeout: '4321ms',
    });
    // The URL's come last: a setting it names wins.
    url.searchParams.set('options', '-c TimeZone=Europe/Paris');
    expect(await settings(url.toString())).toMatchObject({ jit: 'off', zone: 'Europe/Paris' });
  });
});
