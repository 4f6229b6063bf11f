import { DEFAULT_MIGRATION_TABLE, type Kysely, Migrator, sql } from 'kysely';
import { sqlState } from './errors';
import { migrationProvider, migrations } from './migrations';
import type { DB } from './schema';

export interface MigrationReport {
  applied: string[];
}

/**
 * The migrations this database has not had yet, found by reading only: a role
 * that may not create tables (the API's, in production) can still ask.
 */
export async function pendingMigrations(db: Kysely<DB>): Promise<string[]> {
  const { rows } = await sql<{ table: string | null }>`
    select to_regclass(${DEFAULT_MIGRATION_TABLE})::text as table`.execute(db);
  if (!rows[0]?.table) return Object.keys(migrations);
  const applied = await sql<{ name: string }>`
    select name from ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(db);
  const done = new Set(applied.rows.map((r) => r.name));
  return Object.keys(migrations).filter((name) => !done.has(name));
}

/**
 * Brings the schema up to date. Safe to run from several processes at once
 * (advisory lock), and a no-op that needs no write access when nothing is pending.
 */
export async function migrateToLatest(db: Kysely<DB>): Promise<MigrationReport> {
  const pending = await pendingMigrations(db);
  if (pending.length === 0) return { applied: [] };
  // Branches land in any order: a database that has a later migration still takes an
  // earlier one that arrived after it (each is independent of those numbered after it).
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest().catch((error: unknown) => ({
    error,
    results: undefined,
  }));
  if (error && sqlState(error) === '42501') {
    throw new Error(
      `${pending.length} migration(s) pending (${pending.join(', ')}), and this database role may not change the schema: run \`pnpm db:migrate\` as the schema's owner first`,
      { cause: error },
    );
  }
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(
      `Migration ${failed ?? ''} failed: ${String((error as Error).message ?? error)}`,
      {
        cause: error,
      },
    );
  }
  return {
    applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
  };
}
