import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack';

describe('signing key rotation', () => {
  let s: Stack;
  beforeAll(async () => {
    // Keys rotate every 2 s here; the API may refetch the key set after 500 ms.
    s = await startStack({ rotationIntervalSec: 2 }, 500);
  });
  afterAll(() => s.stop());

  it('accepts tokens signed with a new key without restarting the API, and old ones still', async () => {
    const { cookie } = await s.signUp('rot@example.com', 'Rot');
    const before = await s.tokenFor(cookie);
    const call = (token: string) =>
      fetch(`${s.apiUrl}/api/workers/me`, { headers: { authorization: `Bearer ${token}` } }).then(
        (r) => r.status,
      );
    expect(await call(before)).toBe(200);

    await new Promise((r) => setTimeout(r, 2_500));
    const after = await s.tokenFor(cookie);
    const oldKid = decodeProtectedHeader(before).kid;
    const newKid = decodeProtectedHeader(after).kid;
    expect(newKid).toBeTruthy();
    expect(newKid).not.toBe(oldKid);

    const jwks = (await (await fetch(`${s.authUrl}/api/auth/jwks`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));

    expect(await call(after)).toBe(200);
    // The old key stays published for its grace period.
    expect(await call(before)).toBe(200);
  });
});
