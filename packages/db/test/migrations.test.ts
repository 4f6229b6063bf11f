import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Database } from '../src/create-db';
import { migrateToLatest } from '../src/migrate';
import { migrations } from '../src/migrations';
import { createTestDatabase, type TestDatabase } from '../src/testing';

const TABLES = [
  'audit_log',
  'idempotency_keys',
  'project_members',
  'projects',
  'rate_limits',
  'task_dependencies',
  'tasks',
  'webhook_deliveries',
  'webhook_outbox',
  'webhook_subscriptions',
  'workers',
];

async function tablesOf(database: Database): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%'
    order by table_name`.execute(database.db);
  return rows.map((r) => r.table_name);
}

async function indexesOf(database: Database): Promise<string[]> {
  const { rows } = await sql<{ indexname: string }>`
    select indexname from pg_indexes where tablename = 'tasks' order by indexname`.execute(
    database.db,
  );
  return rows.map((r) => r.indexname);
}

describe('migrations on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
  });
  afterAll(() => database.drop());

  it('creates every table, and a second run applies nothing', async () => {
    const first = await migrateToLatest(database.db);
    expect(first.applied).toEqual(Object.keys(migrations));
    expect(await tablesOf(database)).toEqual(TABLES);
    const second = await migrateToLatest(database.db);
    expect(second.applied).toEqual([]);
  });

  it('indexes the filters and sorts of tasks.list', async () => {
    const indexes = await indexesOf(database);
    for (const name of [
      'tasks_project_created',
      'tasks_project_updated',
      'tasks_project_due',
      'tasks_project_priority',
      'tasks_project_title',
      'tasks_project_status',
      'tasks_assigned',
      'tasks_parent',
      'tasks_tags',
      'tasks_title_trgm',
      'tasks_project_undated',
      'tasks_undated',
    ]) {
      expect(indexes).toContain(name);
    }
  });
});

describe('migrations on PGlite', () => {
  let database: Database;
  beforeAll(() => {
    database = createDb({ dataDir: 'memory://' });
  });
  afterAll(() => database.close());

  it('applies the same migrations and produces the same tables and indexes', async () => {
    expect(database.kind).toBe('pglite');
    const { applied } = await migrateToLatest(database.db);
    expect(applied).toEqual(Object.keys(migrations));
    expect(await tablesOf(database)).toEqual(TABLES);
    expect(await indexesOf(database)).toContain('tasks_title_trgm');
  });
});
