import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb, sql } from '@taskflow/db';
import { createEmailVerificationToken } from 'better-auth/api';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService } from '../src/server';
import { type Stack, startStack } from './stack';

const AUTH_DIR = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `pnpm admin ...` in apps/auth, as an operator runs it: a real process on the database. */
function adminCommand(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'pnpm',
      ['--silent', 'admin', ...args],
      {
        cwd: AUTH_DIR,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        // pnpm adds its own ELIFECYCLE line after the command's message.
        resolve({ code, stdout, stderr: stderr.split('\n[ELIFECYCLE]')[0] ?? '' });
      },
    );
  });
}

async function roles(s: Stack): Promise<Record<string, string>> {
  const rows = (await s.database.db
    .selectFrom('user' as never)
    .select(['email' as never, 'role' as never])
    .execute()) as { email: string; role: string }[];
  return Object.fromEntries(rows.map((u) => [u.email, u.role]));
}

const listAgents = (s: Stack, cookie: string) =>
  fetch(`${s.authUrl}/api/agents`, { headers: { cookie } }).then((r) => r.status);

describe('ADMIN_EMAILS: only verified addresses', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ adminEmails: ['boss@example.com'] });
  });
  afterAll(() => s.stop());

  it('does not make an admin of whoever signs up with a listed address', async () => {
    const { cookie } = await s.signUp('Boss@Example.com', 'Not The Boss');
    expect((await roles(s))['boss@example.com']).toBe('user');
    expect(decodeJwt(await s.tokenFor(cookie)).role).toBe('user');
    expect(await listAgents(s, cookie)).toBe(403);
  });

  it('promotes a listed address once it is verified (the emailed link)', async () => {
    const { cookie } = await s.signUp('someone@example.com', 'Someone');
    const verify = async (email: string) => {
      const token = await createEmailVerificationToken(s.config.secret, email);
      return fetch(`${s.authUrl}/api/auth/verify-email?token=${token}`);
    };
    expect((await verify('boss@example.com')).status).toBe(200);
    expect((await verify('someone@example.com')).status).toBe(200);
    expect(await roles(s)).toMatchObject({
      'boss@example.com': 'admin',
      'someone@example.com': 'user',
    });
    expect(await listAgents(s, cookie)).toBe(403);
  });
});

describe('the first account', () => {
  it('is an admin when many sign up at once on an empty database: exactly one', async () => {
    const s = await startStack({ signInLimit: { max: 100, windowSec: 60 } });
    try {
      const emails = Array.from({ length: 12 }, (_, i) => `racer${i}@example.com`);
      // Hold new accounts back (as a busy database would) until every pool connection has
      // a sign-up waiting to insert its user: all of them have looked at the empty table by then.
      const signUps = await s.database.db.transaction().execute(async (trx) => {
        await sql`lock table "user" in share row exclusive mode`.execute(trx);
        const pending = emails.map((email) => s.signUp(email, email));
        await expect
          .poll(
            async () => {
              const { rows } = await sql<{ waiting: number }>`
                select count(*)::int as waiting from pg_stat_activity
                where datname = current_database() and wait_event_type = 'Lock'`.execute(
                s.database.db,
              );
              return rows[0]?.waiting;
            },
            { timeout: 30_000, interval: 50 },
          )
          .toBe(10);
        return pending;
      });
      await Promise.all(signUps);
      const all = await roles(s);
      expect(Object.keys(all).sort()).toEqual([...emails].sort());
      expect(Object.values(all).filter((role) => role === 'admin')).toHaveLength(1);
      // Later accounts never are.
      await s.signUp('late@example.com', 'Late');
      expect((await roles(s))['late@example.com']).toBe('user');
    } finally {
      await s.stop();
    }
  });

  it('is not an admin in production', async () => {
    const s = await startStack({ env: 'production' });
    try {
      const { cookie } = await s.signUp('first@example.com', 'First');
      expect((await roles(s))['first@example.com']).toBe('user');
      expect(decodeJwt(await s.tokenFor(cookie)).role).toBe('user');
    } finally {
      await s.stop();
    }
  });
});

describe('pnpm --filter @taskflow/auth admin promote|demote EMAIL', () => {
  let s: Stack;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    s = await startStack({ env: 'production' });
    env = { DATABASE_URL: s.database.url };
  });
  afterAll(() => s.stop());

  it('promotes and demotes a person on PostgreSQL, with clear exit codes', async () => {
    const { cookie } = await s.signUp('ops@example.com', 'Olga Ops');
    expect(await listAgents(s, cookie)).toBe(403);

    const promoted = await adminCommand(['promote', 'OPS@example.com'], env);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout.trim()).toBe(
      'Olga Ops <ops@example.com> is now an admin (from their next token).',
    );
    expect((await roles(s))['ops@example.com']).toBe('admin');
    // Admin checks and the next token read the database, not the session's cached copy.
    expect(await listAgents(s, cookie)).toBe(200);
    expect(decodeJwt(await s.tokenFor(cookie)).role).toBe('admin');
    const again = await adminCommand(['promote', 'ops@example.com'], env);
    expect([again.code, again.stdout.trim()]).toEqual([
      0,
      'Olga Ops <ops@example.com> is already an admin.',
    ]);

    const demoted = await adminCommand(['demote', 'ops@example.com'], env);
    expect(demoted.code, demoted.stderr).toBe(0);
    expect(demoted.stdout).toContain('is no longer an admin and has been signed out');
    expect((await roles(s))['ops@example.com']).toBe('user');
    const sessions = await s.database.db
      .selectFrom('session' as never)
      .selectAll()
      .execute();
    expect(sessions).toEqual([]);
    expect(await listAgents(s, cookie)).toBe(401);
    // Signed out for real: the session cached in the cookie mints no more tokens.
    const token = await fetch(`${s.authUrl}/api/auth/token`, { headers: { cookie } });
    expect(token.status).toBe(401);
  });

  it('says what is wrong: no such account (4), bad usage (2), unreachable database (1)', async () => {
    const missing = await adminCommand(['promote', 'nobody@example.com'], env);
    expect([missing.code, missing.stderr.trim()]).toEqual([
      4,
      'No account with the email nobody@example.com.',
    ]);
    const usage = await adminCommand(['promote'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: pnpm --filter @taskflow/auth admin promote EMAIL');
    expect((await adminCommand(['crown', 'ops@example.com'], env)).code).toBe(2);
    const down = await adminCommand(['promote', 'ops@example.com'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none',
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /^Cannot promote ops@example.com in postgres:\/\/127.0.0.1:9\/none/,
    );
  });

  it('refuses to make an agent an admin', async () => {
    const admin = await s.signUp('root@example.com', 'Root');
    await adminCommand(['promote', 'root@example.com'], env);
    const created = await fetch(`${s.authUrl}/api/agents`, {
      method: 'POST',
      headers: {
        cookie: admin.cookie,
        origin: 'http://localhost:3000',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'Bot' }),
    });
    expect(created.status).toBe(201);
    const agent = (await s.database.db
      .selectFrom('user' as never)
      .select('email' as never)
      .where('kind' as never, '=', 'agent' as never)
      .executeTakeFirstOrThrow()) as { email: string };
    const refused = await adminCommand(['promote', agent.email], env);
    expect([refused.code, refused.stderr.trim()]).toEqual([
      7,
      `${agent.email} is an agent; agents cannot be admins.`,
    ]);
  });
});

describe('admin promote on the embedded PGlite folder', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'taskflow-auth-pglite-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('promotes a person whose account lives in PGlite', { timeout: 180_000 }, async () => {
    const service = await createAuthService({
      env: 'production',
      host: '127.0.0.1',
      port: 0,
      baseUrl: 'http://127.0.0.1',
      secret: 'test-secret-test-secret-test-secret-0123',
      databaseUrl: undefined,
      pgliteDataDir: dataDir,
      audience: 'taskflow-api',
      adminEmails: [],
      trustedOrigins: [],
      trustedProxies: [],
      signInLimit: { max: 10, windowSec: 60 },
      requestLimit: { max: 100, windowSec: 10 },
      jwtExpiration: '15m',
      rotationIntervalSec: undefined,
      gracePeriodSec: undefined,
      service: { logLevel: 'silent', prettyLogs: false, metrics: { mode: 'off' } },
    });
    const url = await service.listen();
    const signUp = await fetch(`${url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'pg@example.com', name: 'Pat', password: 'long enough pw' }),
    });
    expect(signUp.status).toBe(200);
    // PGlite has one user at a time: the operator stops the service first.
    await service.close();

    const promoted = await adminCommand(['promote', 'pg@example.com'], {
      AUTH_PGLITE_DATA_DIR: dataDir,
    });
    expect(promoted.code, promoted.stderr).toBe(0);
    const { db, close } = createDb({ dataDir });
    try {
      const row = await db
        .selectFrom('user' as never)
        .select('role' as never)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ role: 'admin' });
    } finally {
      await close();
    }
  });
});
