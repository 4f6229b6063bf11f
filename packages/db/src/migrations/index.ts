import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_initial';
import * as m0002 from './0002_audit_client';
import * as m0003 from './0003_rate_limits';
import * as m0004 from './0004_leases';
import * as m0005 from './0005_dependencies';
import * as m0006 from './0006_idempotency';
import * as m0007 from './0007_cursors';
import * as m0008 from './0008_change_feed';
import * as m0009 from './0009_webhooks';
import * as m0010 from './0010_worker_emails';
import * as m0011 from './0011_dependency_counts';
import * as m0012 from './0012_change_feed_announce';
import * as m0013 from './0013_list_indexes';

/**
 * Versioned, forward-only migrations, in code so that they ship with the
 * package (no file-system scan) and run the same on PostgreSQL and PGlite.
 * Add new ones at the end; never edit one that has been released.
 */
export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_audit_client': m0002,
  '0003_rate_limits': m0003,
  '0004_leases': m0004,
  '0005_dependencies': m0005,
  '0006_idempotency': m0006,
  '0007_cursors': m0007,
  '0008_change_feed': m0008,
  '0009_webhooks': m0009,
  '0010_worker_emails': m0010,
  '0011_dependency_counts': m0011,
  '0012_change_feed_announce': m0012,
  '0013_list_indexes': m0013,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
