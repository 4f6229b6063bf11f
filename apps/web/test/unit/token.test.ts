import { describe, expect, it } from 'vitest';
import { decodeClaims, EXPIRY_MARGIN_SEC, isFresh, TokenManager } from '../../src/lib/token';

function jwt(claims: Record<string, unknown>): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc({ alg: 'EdDSA' })}.${enc(claims)}.signature`;
}

describe('tokens in the browser', () => {
  const now = Math.floor(Date.now() / 1000);

  it('reads sub and exp, and rejects anything that is not a JWT', () => {
    expect(decodeClaims(jwt({ sub: 'u1', exp: now + 60, name: 'Ann' }))).toMatchObject({
      sub: 'u1',
      name: 'Ann',
    });
    expect(decodeClaims('garbage')).toBeNull();
    expect(decodeClaims(jwt({ exp: now }))).toBeNull();
  });

  it('treats a token as stale shortly before it expires', () => {
    expect(isFresh({ sub: 'u', exp: now + EXPIRY_MARGIN_SEC + 5 }, now)).toBe(true);
    expect(isFresh({ sub: 'u', exp: now + EXPIRY_MARGIN_SEC - 5 }, now)).toBe(false);
    expect(isFresh(null, now)).toBe(false);
  });

  it('fetches once for concurrent callers, reuses a fresh token, refetches a stale one', async () => {
    let calls = 0;
    let exp = now + 600;
    const manager = new TokenManager(async () => {
      calls++;
      return jwt({ sub: 'u', exp });
    });
    const [a, b] = await Promise.all([manager.get(), manager.get()]);
    expect(a).toBe(b);
    expect(calls).toBe(1);
    await manager.get();
    expect(calls).toBe(1);
    manager.clear();
    exp = now + 10; // stale on arrival
    await manager.get();
    await manager.get();
    expect(calls).toBe(3);
  });

  it('reports a lost session as null', async () => {
    const manager = new TokenManager(async () => null);
    expect(await manager.get()).toBeNull();
  });
});
