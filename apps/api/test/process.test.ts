import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIssuer } from './helpers/jwks';
import { freePort } from './helpers/net';
import { startApi, waitForHealth } from './helpers/process';

describe('the API as a process (`pnpm --filter @taskflow/api start`)', () => {
  let issuer: TestIssuer;
  let database: TestDatabase;
  beforeAll(async () => {
    issuer = await new TestIssuer().start();
    database = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await issuer.stop();
    await database.drop();
  });

  async function roundTrip(url: string): Promise<void> {
    const token = await issuer.token('proc-user');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${url}/trpc/tasks.create`, {
      method: 'POST',
      headers,
      body: '{"title":"Hello"}',
    });
    expect(created.status).toBe(200);
    const { id } = ((await created.json()) as { result: { data: { id: number } } }).result.data;
    const started = await fetch(`${url}/trpc/tasks.start`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ id }),
    });
    expect(
      ((await started.json()) as { result: { data: { status: string } } }).result.data.status,
    ).toBe('in_progress');
    expect((await fetch(`${url}/trpc/tasks.list`)).status).toBe(401);
  }

  const authEnv = () => ({
    AUTH_JWKS_URL: issuer.url,
    AUTH_ISSUER: issuer.issuer,
    AUTH_AUDIENCE: issuer.audience,
  });

  it('migrates PostgreSQL on start, serves, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const api = startApi({ ...authEnv(), PORT: String(port), DATABASE_URL: database.url });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHealth(`${url}/health`, api);
      expect((await fetch(`${url}/api/health/db`)).status).toBe(200);
      await roundTrip(url);
    } finally {
      api.child.kill('SIGTERM');
    }
    expect(await api.exited).toBe(0);
    expect(api.output()).toMatch(/"msg":"stopped"/);
    const tables = await database.db.selectFrom('tasks').select('title').execute();
    expect(tables.map((t) => t.title)).toEqual(['Hello']);
  }, 90_000);

  it('runs on embedded PGlite when DATABASE_URL is unset, keeping data across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'taskflow-pglite-'));
    try {
      for (const round of [1, 2]) {
        const port = await freePort();
        const api = startApi({ ...authEnv(), PORT: String(port), PGLITE_DATA_DIR: dataDir });
        const url = `http://127.0.0.1:${port}`;
        try {
          await waitForHealth(`${url}/health`, api);
          expect(api.output()).toMatch(/"kind":"pglite"/);
          const token = await issuer.token('pglite-user');
          const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
          await fetch(`${url}/trpc/tasks.create`, {
            method: 'POST',
            headers,
            body: `{"title":"Round ${round}"}`,
          });
          const list = await fetch(`${url}/trpc/tasks.list`, { headers });
          const titles = (
            (await list.json()) as { result: { data: { items: { title: string }[] } } }
          ).result.data.items.map((t) => t.title);
          expect(titles).toEqual(round === 1 ? ['Round 1'] : ['Round 2', 'Round 1']);
        } finally {
          api.child.kill('SIGTERM');
        }
        expect(await api.exited).toBe(0);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Two cold starts of embedded PostgreSQL, one after the other.
  }, 120_000);

  it('refuses to start in production without a secure configuration', async () => {
    const api = startApi({ NODE_ENV: 'production', AUTH_JWKS_URL: 'http://auth.example.com/jwks' });
    expect(await api.exited).toBe(78);
    expect(api.output()).toMatch(/DATABASE_URL is required in production/);
    expect(api.output()).not.toMatch(/at .*\.ts:\d+/);
  });
});
