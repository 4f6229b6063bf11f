import { createLogger } from '@taskflow/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { type Harness, startHarness } from './helpers/harness';
import type { SignOptions } from './helpers/jwks';

const HOUR = 3_600;

async function me(baseUrl: string, token: string) {
  const res = await fetch(`${baseUrl}/api/workers/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { error?: string };
  return {
    status: res.status,
    error: body.error,
    wwwAuthenticate: res.headers.get('www-authenticate'),
  };
}

describe('a token lives at most AUTH_MAX_TOKEN_AGE from its iat, whatever its exp says', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  // Every token here is otherwise good: signed by the issuer, exp an hour ahead.
  const token = (sub: string, options: SignOptions) =>
    h.issuer.token(sub, {}, { expiresIn: HOUR, ...options });

  it('accepts a token issued 23 h ago and refuses one issued 25 h ago (default 24 h)', async () => {
    expect((await me(h.baseUrl, await token('young', { issuedAt: -23 * HOUR }))).status).toBe(200);
    const old = await me(h.baseUrl, await token('old', { issuedAt: -25 * HOUR }));
    expect(old).toMatchObject({
      status: 401,
      error: 'Token is older than the maximum token age',
      wwwAuthenticate: 'Bearer',
    });
  });

  it('refuses an iat in the future beyond the clock tolerance, and accepts one within it', async () => {
    const future = await me(h.baseUrl, await token('future', { issuedAt: 5 * 60 }));
    expect(future).toMatchObject({ status: 401, error: "Token claim 'iat' is not accepted" });
    expect((await me(h.baseUrl, await token('skewed', { issuedAt: 20 }))).status).toBe(200);
  });

  it('refuses a token without iat', async () => {
    const res = await me(h.baseUrl, await token('no-iat', { issuedAt: null }));
    expect(res.status).toBe(401);
    expect(res.error).toMatch(/iat/);
  });

  it('honours a configured maximum age', async () => {
    const app = createApp({
      db: h.database.db,
      logger: createLogger({ service: 'api', level: 'silent' }),
      auth: {
        jwksUrl: new URL(h.issuer.url),
        issuer: h.issuer.issuer,
        audience: h.issuer.audience,
        maxTokenAgeSec: 15 * 60,
      },
    });
    const url = await app.listen(0);
    try {
      expect((await me(url, await token('ten-minutes', { issuedAt: -10 * 60 }))).status).toBe(200);
      expect((await me(url, await token('twenty-minutes', { issuedAt: -20 * 60 }))).status).toBe(
        401,
      );
    } finally {
      await app.close();
    }
  });
});
