import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Database } from './create-db';
import { migrateToLatest } from './migrate';

/** Server the tests may create databases on; override with TEST_DATABASE_URL. */
export const TEST_SERVER_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase extends Database {
  url: string;
  name: string;
  /** Closes the pool and drops the database this helper created. */
  drop(): Promise<void>;
  /**
   * Ends every server process connected to this database (what a restart or a
   * failover does to its clients); resolves with how many there were.
   */
  terminateConnections(): Promise<number>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated PostgreSQL database of its own for one test file. */
export async function createTestDatabase(
  options: {
    maxConnections?: number;
    migrate?: boolean;
    /** Whether audit rows wake the change feed from their own transactions; default on. */
    notifyFromTrigger?: boolean;
  } = {},
): Promise<TestDatabase> {
  // TEST_DATABASE_PREFIX tells apart the databases of people sharing one server.
  const prefix = process.env.TEST_DATABASE_PREFIX ?? 'taskflow_test';
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`create database "${name}"`));
  const url = withDatabase(TEST_SERVER_URL, name);
  // Tests write audit rows by hand too: those wake the feed as any outside writer's do.
  // Off, the API's own commits wake it alone, as in production.
  const database = createDb({
    databaseUrl: url,
    maxConnections: options.maxConnections ?? 10,
    notifyFromTrigger: options.notifyFromTrigger ?? true,
  });
  if (options.migrate !== false) await migrateToLatest(database.db);
  return {
    ...database,
    url,
    name,
    terminateConnections: () =>
      admin(async (c) => {
        const { rows } = await c.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [name],
        );
        return rows.length;
      }),
    drop: async () => {
      await database.close();
      await admin((c) => c.query(`drop database if exists "${name}" with (force)`));
    },
  };
}
