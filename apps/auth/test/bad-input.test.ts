import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack';

const WEB = 'http://localhost:3000';

describe('bad input to the auth service: a clear 400, never a 500, never silently changed', () => {
  let s: Stack;
  let cookie: string;
  beforeAll(async () => {
    s = await startStack({ signInLimit: { max: 100, windowSec: 60 } });
    cookie = (await s.signUp('admin@example.com', 'Ada Admin')).cookie;
  });
  afterAll(() => s.stop());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${s.authUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: WEB, ...headers },
      body: JSON.stringify(body),
    });
  const signUp = (fields: Record<string, unknown>) =>
    post('/api/auth/sign-up/email', { password: 'long enough password', ...fields });

  it('refuses NUL characters and unpaired surrogates at sign-up, storing nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ email: 'nul@example.com', name: 'Nul\u0000Name' }, 'body.name'],
      [{ email: 'half@example.com', name: 'Half \ud800 a pair' }, 'body.name'],
      [{ email: 'img@example.com', name: 'Img', image: 'https://x.test/\u0000' }, 'body.image'],
      [{ email: 'pw@example.com', name: 'Pw', password: 'long enough \udfff' }, 'body.password'],
    ];
    for (const [fields, where] of cases) {
      const res = await signUp(fields);
      expect(res.status, where).toBe(400);
      const message = `${where} contains a NUL character or an unpaired surrogate`;
      // Better Auth's own { message, code }, inside the shared error shape.
      expect(await res.json()).toMatchObject({
        code: 'INVALID_TEXT',
        message,
        error: message,
        status_code: 400,
      });
    }
    const users = await s.database.db
      .selectFrom('user' as never)
      .select('email' as never)
      .execute();
    expect(users).toEqual([{ email: 'admin@example.com' }]);
  });

  it('keeps names to what the API stores: 1 to 120 characters', async () => {
    for (const name of ['x'.repeat(121), 'x'.repeat(60_000), '   ']) {
      const res = await signUp({ email: `long${name.length}@example.com`, name });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'INVALID_NAME' });
    }
    expect((await signUp({ email: 'fits@example.com', name: 'x'.repeat(120) })).status).toBe(200);
  });

  it('refuses the same in a profile update, which answered 500', async () => {
    const res = await post('/api/auth/update-user', { name: 'Ada\u0000' }, { cookie });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'INVALID_TEXT' });
    const tooLong = await post('/api/auth/update-user', { name: 'A'.repeat(500) }, { cookie });
    expect(tooLong.status).toBe(400);
    expect((await post('/api/auth/update-user', { name: 'Ada Lovelace' }, { cookie })).status).toBe(
      200,
    );
  });

  it('refuses them in agent names too, which answered 500 or changed the name', async () => {
    for (const name of ['Bot\u0000', 'Bot \ud83d']) {
      const res = await post('/api/agents', { name }, { cookie });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        code: 'BAD_REQUEST',
        error: 'body.name contains a NUL character or an unpaired surrogate',
      });
    }
    // A whole emoji is a surrogate pair, and welcome.
    expect((await post('/api/agents', { name: 'Bot 🤖' }, { cookie })).status).toBe(201);
  });
});

describe('hostile bodies to the auth service', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ signInLimit: { max: 100, windowSec: 60 } });
  });
  afterAll(() => s.stop());

  const post = (path: string, body: string | Buffer) =>
    fetch(`${s.authUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: WEB },
      body,
    });
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it.each(['/api/auth/sign-up/email', '/api/auth/sign-in/email', '/api/agents'])(
    'refuses 30,000 nested arrays (60 KB) to %s with 400, before any sign-in',
    async (path) => {
      const res = await post(path, nested(30_000));
      expect(res.status).toBe(400);
      expect((await fetch(`${s.authUrl}/health`)).status).toBe(200);
    },
  );

  it('refuses a sign-up whose bytes are not UTF-8, and creates no account', async () => {
    const body = Buffer.concat([
      Buffer.from('{"email":"utf@example.com","password":"long enough password","name":"bad'),
      Buffer.from([0xe0, 0x80]),
      Buffer.from('name"}'),
    ]);
    const res = await post('/api/auth/sign-up/email', body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'PARSE_ERROR' });
    const users = await s.database.db
      .selectFrom('user' as never)
      .select('email' as never)
      .execute();
    expect(users).toEqual([]);
  });
});
