import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { createLogger } from '@taskflow/service';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type App, createApp } from '../src/app';
import { TestIssuer } from './helpers/jwks';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Short ages so the test runs in seconds; production defaults are 10 min and 24 h.
const MAX_AGE_MS = 300;
const STALE_IF_ERROR_MS = 2_000;
const COOLDOWN_MS = 100;

async function me(baseUrl: string, token: string) {
  const res = await fetch(`${baseUrl}/api/workers/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
}

describe('an identity provider outage (stale-if-error on the key set)', () => {
  let database: TestDatabase;
  let issuer: TestIssuer;
  let app: App;
  let url: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    issuer = await new TestIssuer().start();
    app = createApp({
      db: database.db,
      logger: createLogger({ service: 'api', level: 'silent' }),
      auth: {
        jwksUrl: new URL(issuer.url),
        issuer: issuer.issuer,
        audience: issuer.audience,
        jwksCooldownMs: COOLDOWN_MS,
        jwksMaxAgeMs: MAX_AGE_MS,
        jwksStaleIfErrorMs: STALE_IF_ERROR_MS,
      },
    });
    url = await app.listen(0);
  });
  afterAll(async () => {
    await app.close();
    await issuer.stop();
    await database.drop();
  });

  it('keeps verifying known keys with the last good set, refuses unseen ones with 503, and recovers', async () => {
    onTestFinished(() => {
      issuer.failWith = undefined;
    });
    expect((await me(url, await issuer.token('alice'))).status).toBe(200);

    // The key server goes down and the set passes its max age.
    issuer.failWith = 503;
    await sleep(MAX_AGE_MS + COOLDOWN_MS);
    const fetchesBefore = issuer.fetches;
    expect((await me(url, await issuer.token('alice'))).status).toBe(200);
    expect((await me(url, await issuer.token('bob', {}, { alg: 'RS256' }))).status).toBe(200);
    // It did try to refresh, and failed.
    expect(issuer.fetches).toBeGreaterThan(fetchesBefore);

    // A key published during the outage was never seen: that token cannot be checked.
    const newKid = await issuer.rotate('EdDSA');
    await sleep(COOLDOWN_MS);
    const unseen = await me(url, await issuer.token('carol', {}, { kid: newKid }));
    expect(unseen.status).toBe(503);
    expect(unseen.retryAfter).toMatch(/^\d+$/);
    // ... while known keys keep working.
    expect((await me(url, await issuer.token('alice', {}, { alg: 'ES256' }))).status).toBe(200);

    // Past the stale-if-error window the old set is no longer trusted either.
    await sleep(STALE_IF_ERROR_MS);
    const tooOld = await me(url, await issuer.token('alice', {}, { alg: 'ES256' }));
    expect(tooOld.status).toBe(503);
    expect(tooOld.retryAfter).toMatch(/^\d+$/);

    // The key server is back: old and new keys verify again.
    issuer.failWith = undefined;
    await sleep(COOLDOWN_MS);
    expect((await me(url, await issuer.token('alice', {}, { alg: 'ES256' }))).status).toBe(200);
    expect((await me(url, await issuer.token('carol', {}, { kid: newKid }))).status).toBe(200);

    // And a key the issuer never published is still the caller's fault: 401.
    const stranger = await new TestIssuer().start();
    try {
      const strangeKid = await stranger.rotate('EdDSA');
      await sleep(COOLDOWN_MS);
      expect((await me(url, await stranger.token('mallory', {}, { kid: strangeKid }))).status).toBe(
        401,
      );
    } finally {
      await stranger.stop();
    }
  });
});
