import type { BetterAuthOptions } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';

/**
 * Brings Better Auth's own tables (user, session, account, verification,
 * jwks, apikey) up to date with its plugins. Additive only: Better Auth
 * refuses changes that would lose data.
 */
export async function migrateAuth(options: BetterAuthOptions): Promise<string[]> {
  const { toBeCreated, toBeAdded, runMigrations } = await getMigrations(options);
  const changes = [
    ...toBeCreated.map((t) => `create ${t.table}`),
    ...toBeAdded.map((t) => `alter ${t.table}: ${Object.keys(t.fields).join(', ')}`),
  ];
  if (changes.length) await runMigrations();
  return changes;
}
