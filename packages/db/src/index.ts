export type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
export { sql } from 'kysely';
export { type AuditEntry, writeAudit } from './audit';
export {
  createDb,
  type Database,
  type DbKind,
  type DbOptions,
  DEFAULT_PGLITE_DIR,
} from './create-db';
export { isDatabaseUnavailable, sqlState } from './errors';
export { type MigrationReport, migrateToLatest } from './migrate';
export { migrations } from './migrations';
export * from './schema';
