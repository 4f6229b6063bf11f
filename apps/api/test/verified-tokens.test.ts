import { createTokenVerifier, TokenError } from '@taskflow/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIssuer } from './helpers/jwks';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The verifier remembers verified tokens; these are the cases where it must not. */
describe('verified tokens are remembered, but never past what makes them valid', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await new TestIssuer().start();
  });
  afterAll(() => issuer.stop());

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => (error instanceof TokenError ? error.kind : 'other'),
    );

  it('stops accepting a token once its key is withdrawn and the key set is fetched again', async () => {
    const verify = createTokenVerifier({
      ...issuer.verifierOptions(),
      jwksMaxAgeMs: 200,
      jwksCooldownMs: 0,
    });
    const kid = await issuer.rotate('ES256');
    const token = await issuer.token('withdrawn-key-user', {}, { kid });
    expect((await verify(token)).sub).toBe('withdrawn-key-user');
    expect((await verify(token)).sub).toBe('withdrawn-key-user');
    issuer.withdraw(kid);
    await sleep(300);
    // The set is due: this call starts the refresh (and may still pass on the old copy).
    await refusal(verify(token));
    await sleep(100);
    expect(await refusal(verify(token))).toBe('invalid');
  });

  it('refuses a remembered token once it expires', async () => {
    const verify = createTokenVerifier({ ...issuer.verifierOptions(), clockToleranceSec: 0 });
    const token = await issuer.sign({ sub: 'short-lived' }, { expiresIn: 2 });
    expect((await verify(token)).sub).toBe('short-lived');
    await sleep(2_100);
    expect(await refusal(verify(token))).toBe('invalid');
  });

  it('remembers no failure: a key the server could not give is accepted once it can', async () => {
    const verify = createTokenVerifier({ ...issuer.verifierOptions(), jwksCooldownMs: 0 });
    // Known keys first, so the verifier has a set; then a key it has never seen.
    await verify(await issuer.token('warm-up'));
    issuer.failWith = 500;
    const kid = await issuer.rotate('EdDSA');
    const token = await issuer.token('new-key-user', {}, { kid });
    expect(await refusal(verify(token))).toBe('unavailable');
    issuer.failWith = undefined;
    expect((await verify(token)).sub).toBe('new-key-user');
  });
});
