import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import {
  freePort,
  type ServiceProcess,
  startService,
  TestIssuer,
  waitForHealth,
} from '@taskflow/api/testing';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importsIn, packageOf } from './helpers/dist';
import { cmdlineOf, descendantsOf, environOf } from './helpers/procfs';
import { ROOT } from './helpers/stack';

const APPS = ['api', 'auth', 'cli', 'mcp'] as const;
const appDir = (app: string) => join(ROOT, 'apps', app);

/**
 * What a process must not show if it runs compiled JavaScript: tsx, or esbuild's service that
 * tsx starts. Its only children may be its own cluster workers, running the same file.
 */
function expectNoTsx(pid: number): void {
  expect(cmdlineOf(pid).slice(1)).toEqual(['dist/main.mjs']);
  expect(environOf(pid).NODE_OPTIONS ?? '').not.toMatch(/tsx/);
  for (const child of descendantsOf(pid)) {
    const args = cmdlineOf(child).slice(1);
    expect(args).toHaveLength(1);
    expect(args[0]).toMatch(/(^|\/)dist\/main\.mjs$/);
    expect(environOf(child).NODE_OPTIONS ?? '').not.toMatch(/tsx/);
  }
}

async function stop(service: ServiceProcess | undefined): Promise<void> {
  if (!service || service.child.exitCode !== null) return;
  service.child.kill('SIGTERM');
  expect(await service.exited).toBe(0);
}

describe('the compiled services (`pnpm build`, then `node dist/main.mjs`)', () => {
  let database: TestDatabase;
  let issuer: TestIssuer;
  let api: ServiceProcess | undefined;
  let auth: ServiceProcess | undefined;

  beforeAll(async () => {
    const built = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile('pnpm', ['build'], { cwd: ROOT }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
      );
    });
    expect(built.code, built.output).toBe(0);
    database = await createTestDatabase({ migrate: false });
    issuer = await new TestIssuer().start();
  }, 180_000);

  afterAll(async () => {
    await stop(api);
    await stop(auth);
    await issuer?.stop();
    await database?.drop();
  });

  it.each(APPS)(
    '%s: dist/ imports neither tsx nor a workspace package, only its own dependencies',
    (app) => {
      expect(existsSync(join(appDir(app), 'dist/main.mjs'))).toBe(true);
      const pkg = JSON.parse(readFileSync(join(appDir(app), 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
      };
      const packages = importsIn(join(appDir(app), 'dist'))
        .filter((spec) => !spec.startsWith('.') && !isBuiltin(spec))
        .map(packageOf);
      expect(packages.length).toBeGreaterThan(0);
      expect(packages.filter((name) => name === 'tsx' || name.startsWith('@taskflow/'))).toEqual(
        [],
      );
      expect(packages.filter((name) => !(name in pkg.dependencies))).toEqual([]);
      // The build leaves the TypeScript sources behind: nothing in dist/ points at a .ts file to run.
      expect(importsIn(join(appDir(app), 'dist')).filter((spec) => spec.endsWith('.ts'))).toEqual(
        [],
      );
    },
  );

  it('the API answers /health and an authenticated request, without tsx', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    api = startService(
      appDir('api'),
      {
        PORT: String(port),
        DATABASE_URL: database.url,
        AUTH_JWKS_URL: issuer.url,
        AUTH_ISSUER: issuer.issuer,
        AUTH_AUDIENCE: issuer.audience,
      },
      ['dist/main.mjs'],
    );
    await waitForHealth(`${url}/health`, api);
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });

    expect((await fetch(`${url}/api/tasks`)).status).toBe(401);
    const headers = {
      authorization: `Bearer ${await issuer.token('compiled-user')}`,
      'content-type': 'application/json',
    };
    const created = await fetch(`${url}/api/tasks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: 'Served by dist/main.mjs' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const read = await fetch(`${url}/api/tasks/${id}`, { headers });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, title: 'Served by dist/main.mjs' });

    const pid = api.child.pid ?? 0;
    expectNoTsx(pid);
  });

  it('the identity service signs people up and mints tokens its JWKS verifies, without tsx', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    auth = startService(
      appDir('auth'),
      {
        AUTH_PORT: String(port),
        BETTER_AUTH_URL: url,
        BETTER_AUTH_SECRET: 'compiled-test-secret-compiled-test-secret',
        DATABASE_URL: database.url,
        TRUSTED_ORIGINS: 'http://localhost:3000',
      },
      ['dist/main.mjs'],
    );
    await waitForHealth(`${url}/health`, auth);

    const signUp = await fetch(`${url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
      body: JSON.stringify({
        email: 'dist@example.com',
        password: 'change-me-please',
        name: 'Dist',
      }),
    });
    expect(signUp.status).toBe(200);
    const cookie = signUp.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const minted = await fetch(`${url}/api/auth/token`, { headers: { cookie } });
    expect(minted.status).toBe(200);
    const { token } = (await minted.json()) as { token: string };
    const { payload } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(`${url}/api/auth/jwks`)),
      {
        issuer: url,
        audience: 'taskflow-api',
      },
    );
    expect(payload.email).toBe('dist@example.com');

    expectNoTsx(auth.child.pid ?? 0);
  });
});
