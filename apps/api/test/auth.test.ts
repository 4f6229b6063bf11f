import { createHmac } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { createLogger } from '@taskflow/service';
import { exportSPKI, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { type Harness, startHarness } from './helpers/harness';
import { freePort } from './helpers/net';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function callMe(baseUrl: string, authorization?: string) {
  const res = await fetch(`${baseUrl}/trpc/workers.me`, {
    headers: authorization === undefined ? {} : { authorization },
  });
  const body = (await res.json()) as { error?: { message: string; data: { code: string } } };
  return {
    status: res.status,
    wwwAuthenticate: res.headers.get('www-authenticate'),
    retryAfter: res.headers.get('retry-after'),
    body,
  };
}

describe('bearer tokens over real HTTP', () => {
  let h: Harness;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  it.each(['EdDSA', 'RS256', 'ES256'] as const)('accepts a good %s token', async (alg) => {
    const token = await h.issuer.token(`user-${alg}`, {}, { alg });
    const res = await callMe(h.baseUrl, `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.wwwAuthenticate).toBeNull();
  });

  it('reads the admin role from the token', async () => {
    const token = await h.issuer.token('boss', { role: 'admin' });
    const res = await fetch(`${h.baseUrl}/trpc/workers.me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await res.json()) as { result: { data: { role: string } } }).result.data.role).toBe(
      'admin',
    );
  });

  it('tolerates 30 s of clock skew on exp', async () => {
    const token = await h.issuer.token('skewed', {}, { expiresIn: -10 });
    expect((await callMe(h.baseUrl, `Bearer ${token}`)).status).toBe(200);
  });

  const refused: [string, () => Promise<string | undefined>, RegExp][] = [
    ['no Authorization header', async () => undefined, /Missing bearer token/],
    ['a non-bearer scheme', async () => 'Basic dXNlcjpwYXNz', /must be 'Bearer <token>'/],
    ['garbage', async () => 'Bearer not-a-jwt', /Invalid token/],
    [
      'an expired token',
      async () => `Bearer ${await h.issuer.token('late', {}, { expiresIn: -120 })}`,
      /expired/,
    ],
    [
      'a token without exp',
      async () => `Bearer ${await h.issuer.token('forever', {}, { expiresIn: null })}`,
      /'exp'/,
    ],
    [
      'a token without sub',
      async () => `Bearer ${await h.issuer.sign({ name: 'nobody' })}`,
      /'sub'/,
    ],
    [
      'a token signed by a key the JWKS does not hold',
      async () => `Bearer ${await h.issuer.token('mallory', {}, { foreign: true })}`,
      /Invalid token/,
    ],
    [
      'the wrong issuer',
      async () => `Bearer ${await h.issuer.token('x', {}, { issuer: 'https://evil.test' })}`,
      /'iss'/,
    ],
    [
      'the wrong audience',
      async () => `Bearer ${await h.issuer.token('x', {}, { audience: 'other-api' })}`,
      /'aud'/,
    ],
    [
      'alg none',
      async () =>
        `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'root', role: 'admin', exp: now() + 600, iss: h.issuer.issuer, aud: h.issuer.audience })}.`,
      /Invalid token/,
    ],
    [
      'HS256 signed with the public key (algorithm confusion)',
      async () => {
        const jwk = h.issuer.publicKeyOf('RS256');
        const pem = await exportSPKI(
          (await importJWK(jwk, 'RS256')) as Parameters<typeof exportSPKI>[0],
        );
        const header = b64url({ alg: 'HS256', typ: 'JWT', kid: jwk.kid });
        const payload = b64url({
          sub: 'root',
          role: 'admin',
          exp: now() + 600,
          iss: h.issuer.issuer,
          aud: h.issuer.audience,
        });
        const signature = createHmac('sha256', pem)
          .update(`${header}.${payload}`)
          .digest('base64url');
        return `Bearer ${header}.${payload}.${signature}`;
      },
      /Invalid token/,
    ],
  ];

  it.each(refused)(
    'refuses %s with 401 and WWW-Authenticate: Bearer',
    async (_name, header, message) => {
      const res = await callMe(h.baseUrl, await header());
      expect(res.status).toBe(401);
      expect(res.wwwAuthenticate).toBe('Bearer');
      expect(res.body.error?.data.code).toBe('UNAUTHORIZED');
      expect(res.body.error?.message).toMatch(message);
      expect(JSON.stringify(res.body)).not.toMatch(/stack|at .*\.ts:\d+/);
    },
  );

  it('refuses the same way through the typed client', async () => {
    await expect(h.anonymous().tasks.list.query({})).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED', httpStatus: 401 },
    });
  });

  it('registers nobody for a refused token', async () => {
    const rows = await h.database.db
      .selectFrom('workers')
      .select('id')
      .where('id', 'in', ['mallory', 'late', 'root'])
      .execute();
    expect(rows).toEqual([]);
  });

  it('accepts a key added by rotation once the cooldown has passed, without a restart', async () => {
    const database = h.database;
    const app = createApp({
      db: database.db,
      logger: createLogger({ service: 'api', level: 'silent' }),
      auth: {
        jwksUrl: new URL(h.issuer.url),
        issuer: h.issuer.issuer,
        audience: h.issuer.audience,
        jwksCooldownMs: 200,
      },
    });
    const url = await app.listen(0);
    try {
      expect((await callMe(url, `Bearer ${await h.issuer.token('before')}`)).status).toBe(200);
      const kid = await h.issuer.rotate('EdDSA');
      await new Promise((r) => setTimeout(r, 300));
      const fetchesBefore = h.issuer.fetches;
      expect(
        (await callMe(url, `Bearer ${await h.issuer.token('after', {}, { kid })}`)).status,
      ).toBe(200);
      expect(h.issuer.fetches).toBe(fetchesBefore + 1);
    } finally {
      await app.close();
    }
  });
});

describe('an unreachable or failing key server is a 503, not a 401 or a 500', () => {
  let database: TestDatabase;
  let h: Harness;
  beforeAll(async () => {
    database = await createTestDatabase();
    h = await startHarness();
  });
  afterAll(async () => {
    await database.drop();
    await h.stop();
  });

  it('answers 503 when nothing listens at AUTH_JWKS_URL', async () => {
    const port = await freePort();
    const app = createApp({
      db: database.db,
      logger: createLogger({ service: 'api', level: 'silent' }),
      auth: { jwksUrl: new URL(`http://127.0.0.1:${port}/jwks`) },
    });
    const url = await app.listen(0);
    try {
      const res = await callMe(url, `Bearer ${await h.issuer.token('someone')}`);
      expect(res.status).toBe(503);
      expect(res.body.error?.data.code).toBe('SERVICE_UNAVAILABLE');
      expect(res.body.error?.message).toMatch(/identity provider is unavailable/);
      expect(res.retryAfter).toMatch(/^\d+$/);
      const viaRest = await fetch(`${url}/api/tasks`, {
        headers: { authorization: `Bearer ${await h.issuer.token('someone')}` },
      });
      expect(viaRest.status).toBe(503);
      expect(viaRest.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await viaRest.json()).toMatchObject({ status_code: 503, code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await app.close();
    }
  });

  it('answers 503 when the JWKS endpoint fails', async () => {
    h.issuer.failWith = 500;
    try {
      const res = await callMe(h.baseUrl, `Bearer ${await h.issuer.token('someone')}`);
      expect(res.status).toBe(503);
    } finally {
      h.issuer.failWith = undefined;
    }
  });
});
