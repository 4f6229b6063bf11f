import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { type AuditEntry, writeAudit } from '../src/audit';
import { createTestDatabase, type TestDatabase } from '../src/testing';

const entry: AuditEntry = {
  task_id: 42,
  project_slug: 'demo',
  actor_id: 'alice',
  actor_type: 'human',
  action: 'started',
  context: { from: 'pending', to: 'in_progress' },
};

class Rollback extends Error {}

describe('writeAudit', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  const count = async () =>
    Number(
      (
        await database.db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('accepts a Transaction only: the bare database does not compile', () => {
    // Never called: this block exists for the type checker, which CI runs.
    const misuse = () =>
      // @ts-expect-error writeAudit must not accept Kysely<DB>, only Transaction<DB>
      writeAudit(database.db, entry);
    expectTypeOf(misuse).toBeFunction();
  });

  it('writes one row that commits with the transaction', async () => {
    const before = await count();
    const row = await database.db.transaction().execute((trx) => writeAudit(trx, entry));
    expect(row).toMatchObject({ task_id: 42, actor_id: 'alice', action: 'started' });
    expect(row.context).toEqual({ from: 'pending', to: 'in_progress' });
    expect(row.created_at).toBeInstanceOf(Date);
    expect(typeof row.id).toBe('number');
    expect(await count()).toBe(before + 1);
  });

  it('never commits on its own: the row vanishes when the caller rolls back', async () => {
    const before = await count();
    await expect(
      database.db.transaction().execute(async (trx) => {
        await writeAudit(trx, entry);
        // The helper's row is visible inside the transaction...
        const inside = await trx
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow();
        expect(Number(inside.n)).toBe(before + 1);
        throw new Rollback('caller decides to roll back');
      }),
    ).rejects.toBeInstanceOf(Rollback);
    // ...and gone after the caller's rollback.
    expect(await count()).toBe(before);
  });

  it('fails inside the transaction when the insert is invalid, so the caller rolls back', async () => {
    const before = await count();
    await expect(
      database.db.transaction().execute(async (trx) => {
        await sql`insert into workers (id, name) values ('w-audit', 'W')`.execute(trx);
        // actor_type outside the enum violates the check constraint.
        await writeAudit(trx, { ...entry, actor_type: 'robot' as 'agent' });
      }),
    ).rejects.toThrow(/actor_type/);
    expect(await count()).toBe(before);
    const worker = await database.db
      .selectFrom('workers')
      .selectAll()
      .where('id', '=', 'w-audit')
      .executeTakeFirst();
    expect(worker).toBeUndefined();
  });
});

describe('audit_log is append-only in the database', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db.transaction().execute((trx) => writeAudit(trx, entry));
  });
  afterAll(() => database.drop());

  it('refuses UPDATE', async () => {
    await expect(
      sql`update audit_log set action = 'completed'`.execute(database.db),
    ).rejects.toThrow(/append-only: UPDATE/);
  });

  it('refuses DELETE', async () => {
    await expect(sql`delete from audit_log`.execute(database.db)).rejects.toThrow(
      /append-only: DELETE/,
    );
  });

  it('refuses TRUNCATE', async () => {
    await expect(sql`truncate audit_log`.execute(database.db)).rejects.toThrow(
      /append-only: TRUNCATE/,
    );
  });

  it('still holds the row', async () => {
    const rows = await database.db.selectFrom('audit_log').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.action).toBe('started');
  });
});
