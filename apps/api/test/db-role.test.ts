import { randomBytes } from 'node:crypto';
import { apiRoleGrants, migrateToLatest } from '@taskflow/db';
import { createTestDatabase, TEST_SERVER_URL, type TestDatabase } from '@taskflow/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIssuer } from './helpers/jwks';
import { freePort } from './helpers/net';
import { startApi, waitForHealth } from './helpers/process';
import { restClient } from './helpers/rest';

/** The README's production setup: the API connects as a role that owns nothing. */
describe('the API as a database role that cannot alter audit_log', () => {
  const role = `taskflow_api_${randomBytes(4).toString('hex')}`;
  let database: TestDatabase;
  let issuer: TestIssuer;
  let roleUrl: string;

  beforeAll(async () => {
    issuer = await new TestIssuer().start();
    // Not migrated yet: the role must not be able to do it.
    database = await createTestDatabase({ migrate: false });
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(`create role ${role} login`);
    await admin.end();
    const url = new URL(database.url);
    url.username = role;
    roleUrl = url.toString();
  });
  afterAll(async () => {
    await issuer.stop();
    await database.drop();
    const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
    await admin.connect();
    await admin.query(`drop role if exists ${role}`);
    await admin.end();
  });

  const authEnv = () => ({
    AUTH_JWKS_URL: issuer.url,
    AUTH_ISSUER: issuer.issuer,
    AUTH_AUDIENCE: issuer.audience,
  });

  it('refuses to start on a schema it may not migrate, saying who must', async () => {
    const api = startApi({ ...authEnv(), PORT: String(await freePort()), DATABASE_URL: roleUrl });
    expect(await api.exited).not.toBe(0);
    expect(api.output()).toMatch(
      /may not change the schema: run `pnpm db:migrate` as the schema's owner/,
    );
    expect(api.output()).not.toMatch(/at .*\.ts:\d+/);
  }, 60_000);

  it('serves the whole workflow with the documented grants, and cannot touch the trail', async () => {
    await migrateToLatest(database.db);
    const owner = new pg.Client({ connectionString: database.url });
    await owner.connect();
    try {
      for (const statement of apiRoleGrants(role, database.name)) await owner.query(statement);
    } finally {
      await owner.end();
    }

    const port = await freePort();
    const api = startApi({ ...authEnv(), PORT: String(port), DATABASE_URL: roleUrl });
    const url = `http://127.0.0.1:${port}`;
    const rest = restClient(url);
    try {
      await waitForHealth(`${url}/health`, api);
      const token = await issuer.token('role-user');
      const created = await rest<{ id: number }>('POST', '/api/tasks', {
        token,
        body: { title: 'Under a narrow role' },
      });
      expect(created.status).toBe(201);
      const id = created.body.id;
      for (const [method, path, body] of [
        ['PATCH', `/api/tasks/${id}`, { priority: 'high' }],
        ['POST', `/api/tasks/${id}/start`, undefined],
        ['POST', `/api/tasks/${id}/complete`, undefined],
        ['DELETE', `/api/tasks/${id}`, undefined],
      ] as const) {
        const res = await rest(method, path, { token, ...(body && { body }) });
        expect(res.status, `${method} ${path}`).toBe(200);
      }
      const trail = await rest<{ action: string }[]>('GET', `/api/tasks/${id}/audit`, { token });
      expect(trail.body.map((e) => e.action)).toEqual([
        'created',
        'updated',
        'started',
        'completed',
        'deleted',
      ]);
    } finally {
      api.child.kill('SIGTERM');
    }
    expect(await api.exited).toBe(0);

    // Everything that would rewrite history, tried as the API's role.
    const client = new pg.Client({ connectionString: roleUrl });
    await client.connect();
    const before = (await client.query('select count(*)::int as n from audit_log')).rows[0].n;
    try {
      for (const attack of [
        "update audit_log set action = 'created'",
        'delete from audit_log',
        'truncate audit_log',
        'alter table audit_log disable trigger all',
        'drop trigger audit_log_no_update_or_delete on audit_log',
        'create trigger sneaky before insert on audit_log for each row execute function audit_log_append_only()',
        'drop table audit_log',
        'create or replace function audit_log_append_only() returns trigger language plpgsql as $$ begin return new; end $$',
        'alter table audit_log owner to current_user',
      ]) {
        const error = await client.query(attack).then(
          () => undefined,
          (e: { code?: string }) => e,
        );
        expect(error?.code, attack).toBe('42501');
      }
      expect((await client.query('select count(*)::int as n from audit_log')).rows[0].n).toBe(
        before,
      );
    } finally {
      await client.end();
    }
  }, 90_000);
});
