import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookiesFrom, type Stack, startStack } from './stack';

async function me(apiUrl: string, token?: string) {
  const res = await fetch(`${apiUrl}/api/workers/me`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('signing in with Better Auth and calling the API', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(() => s.stop());

  it('signs up, fetches a JWT and calls a protected procedure with it (200), and without it (401)', async () => {
    const { cookie, userId } = await s.signUp('first@example.com', 'First Person');
    const token = await s.tokenFor(cookie);
    const ok = await me(s.apiUrl, token);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: userId, name: 'First Person', type: 'human' });
    expect((await me(s.apiUrl)).status).toBe(401);

    // tRPC too.
    const trpc = await fetch(`${s.apiUrl}/trpc/tasks.create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Signed in for real' }),
    });
    expect(trpc.status).toBe(200);
  });

  it('mints a trimmed EdDSA token: sub, email, name, role, worker_type; issuer and audience set', async () => {
    const { cookie, userId } = await s.signUp('trim@example.com', 'Trim Med');
    const token = await s.tokenFor(cookie);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA' });
    expect(decodeProtectedHeader(token).kid).toBeTruthy();
    const claims = decodeJwt(token);
    expect(Object.keys(claims).sort()).toEqual([
      'aud',
      'email',
      'exp',
      'iat',
      'iss',
      'name',
      'role',
      'sub',
      'worker_type',
    ]);
    expect(claims).toMatchObject({
      sub: userId,
      email: 'trim@example.com',
      name: 'Trim Med',
      role: 'user',
      worker_type: 'human',
      iss: s.authUrl,
      aud: 'taskflow-api',
    });
    const lifetime = (claims.exp ?? 0) - (claims.iat ?? 0);
    expect(lifetime).toBe(15 * 60);
  });

  it('makes the first account an admin, and nobody after it', async () => {
    const users = await s.database.db
      .selectFrom('user' as never)
      .select(['email' as never, 'role' as never])
      .execute();
    const roles = Object.fromEntries(
      (users as { email: string; role: string }[]).map((u) => [u.email, u.role]),
    );
    expect(roles['first@example.com']).toBe('admin');
    expect(roles['trim@example.com']).toBe('user');
    const { cookie } = await s.signUp('later@example.com', 'Later');
    const body = (await me(s.apiUrl, await s.tokenFor(cookie))).body;
    expect(body.role).toBe('user');
  });

  it('does not let a client choose its role or kind at sign-up', async () => {
    const res = await fetch(`${s.authUrl}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
      body: JSON.stringify({
        email: 'sneaky@example.com',
        name: 'Sneaky',
        password: 'password1234',
        role: 'admin',
        kind: 'agent',
      }),
    });
    // Better Auth drops fields a client may not set; the account is a plain human user.
    expect(res.status).toBe(200);
    const rows = await s.database.db
      .selectFrom('user' as never)
      .select(['role' as never, 'kind' as never])
      .where('email' as never, '=', 'sneaky@example.com' as never)
      .execute();
    expect(rows).toEqual([{ role: 'user', kind: 'human' }]);
    const token = await s.tokenFor(cookiesFrom(res));
    expect(decodeJwt(token)).toMatchObject({ role: 'user', worker_type: 'human' });
  });

  it('refuses the session-cookie JWT, a token for another audience, and the opaque session token', async () => {
    const signIn = await fetch(`${s.authUrl}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
      body: JSON.stringify({ email: 'first@example.com', password: 'correct horse battery' }),
    });
    expect(signIn.status).toBe(200);
    const cookies = signIn.headers.getSetCookie();
    const cacheJwt = cookies
      .find((c) => c.startsWith('better-auth.session_data='))
      ?.split(';')[0]
      ?.split('=')[1];
    expect(cacheJwt, 'the session cookie cache is a JWT signed with the same keys').toBeTruthy();
    expect(decodeJwt(cacheJwt as string).aud).toBe('better-auth:session-cache');
    const refusedCache = await me(s.apiUrl, cacheJwt);
    expect(refusedCache.status).toBe(401);
    expect(refusedCache.body.error).toMatch(/'aud'/);

    const { token: otherAudience } = await s.auth.auth.api.signJWT({
      body: { payload: { sub: 'someone', aud: 'some-other-api' } },
    });
    expect(decodeJwt(otherAudience).iss).toBe(s.authUrl);
    expect((await me(s.apiUrl, otherAudience)).status).toBe(401);

    const opaque = ((await signIn.clone().json()) as { token: string }).token;
    expect((await me(s.apiUrl, opaque)).status).toBe(401);
  });

  it('refuses a wrong password with 401 and an unknown route with a JSON 404', async () => {
    const res = await fetch(`${s.authUrl}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
      body: JSON.stringify({ email: 'first@example.com', password: 'wrong password!' }),
    });
    expect(res.status).toBe(401);
    const missing = await fetch(`${s.authUrl}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ status_code: 404, code: 'NOT_FOUND' });
  });
});
