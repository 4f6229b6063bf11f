export type {
  Expression,
  ExpressionBuilder,
  ExpressionWrapper,
  Kysely,
  RawBuilder,
  SelectQueryBuilder,
  SqlBool,
  Transaction,
  UpdateObject,
} from 'kysely';
export { expressionBuilder, sql } from 'kysely';
export { type AuditEntry, type ChangeAudit, withAudit, writeAudit } from './audit';
export {
  createDb,
  createDialect,
  type Database,
  type DbKind,
  type DbOptions,
  DEFAULT_PGLITE_DIR,
  type DialectHandle,
} from './create-db';
export { DataDirLockedError } from './data-dir-lock';
export { isDatabaseUnavailable, sqlState } from './errors';
export { apiRoleGrants } from './grants';
export { type MigrationReport, migrateToLatest, pendingMigrations } from './migrate';
export { migrations } from './migrations';
export { isStalePlan, MAX_NAMED_STATEMENTS } from './named-statements';
export type { Listen, NotificationHandlers, NotificationListener } from './notifications';
export { preparedQuery } from './prepared-query';
export * from './schema';
export { PgTimestamp, parseTimestamptz } from './timestamps';
