import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack';

const WEB = 'http://localhost:3000';
// Room for the refusals before the rate limit's own test, which is last.
const SIGN_IN_LIMIT = 6;

function expectJson(res: Response): void {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('x-request-id')).toBeTruthy();
}

describe('Better Auth answers refusals in the shared error shape', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ signInLimit: { max: SIGN_IN_LIMIT, windowSec: 60 } });
    await s.signUp('shape@example.com', 'Shape');
  });
  afterAll(() => s.stop());

  const call = (method: string, path: string, body?: string, type = 'application/json') =>
    fetch(`${s.authUrl}${path}`, {
      method,
      headers: { 'content-type': type, origin: WEB, 'x-request-id': `shape-${method}` },
      ...(body !== undefined && { body }),
    });

  it('answers an unknown /api/auth path 404 NOT_FOUND, not an empty octet-stream', async () => {
    const res = await call('GET', '/api/auth/does-not-exist?x=1');
    expect(res.status).toBe(404);
    expectJson(res);
    expect(await res.json()).toEqual({
      error: 'No route for GET /api/auth/does-not-exist',
      status_code: 404,
      code: 'NOT_FOUND',
      request_id: 'shape-GET',
      message: 'No route for GET /api/auth/does-not-exist',
    });
  });

  it('answers a method a known endpoint does not take 405 with Allow', async () => {
    for (const [method, path, allow] of [
      ['PATCH', '/api/auth/jwks', 'GET'],
      ['POST', '/api/auth/jwks', 'GET'],
      ['PATCH', '/api/auth/token', 'GET'],
      ['GET', '/api/auth/sign-in/email', 'POST'],
    ] as const) {
      const res = await call(method, path, method === 'GET' ? undefined : '{}');
      expect(res.status, `${method} ${path}`).toBe(405);
      expectJson(res);
      expect(res.headers.get('allow')).toBe(allow);
      expect(await res.json()).toMatchObject({
        status_code: 405,
        code: 'METHOD_NOT_SUPPORTED',
        request_id: `shape-${method}`,
        error: `${method} is not supported on ${path}`,
      });
    }
  });

  it('refuses HEAD, which Better Auth does not serve, with 405 and Allow', async () => {
    for (const [path, allow] of [
      ['/api/auth/jwks', 'GET'],
      ['/api/auth/sign-in/email', 'POST'],
    ] as const) {
      const res = await call('HEAD', path);
      expect(res.status, path).toBe(405);
      expectJson(res);
      expect(res.headers.get('allow')).toBe(allow);
    }
  });

  it("keeps Better Auth's own message and code beside the shared fields", async () => {
    const cases: [string, string, number, string, RegExp][] = [
      ['{bad', 'application/json', 400, 'BAD_REQUEST', /Invalid JSON/],
      ['x', 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE', /text\/plain/],
      ['{"email":"x"}', 'application/json', 400, 'VALIDATION_ERROR', /password/],
    ];
    for (const [body, type, status, code, message] of cases) {
      const res = await call('POST', '/api/auth/sign-in/email', body, type);
      expect(res.status, body).toBe(status);
      expectJson(res);
      const answer = (await res.json()) as Record<string, unknown>;
      expect(answer).toMatchObject({ status_code: status, code, request_id: 'shape-POST' });
      expect(answer.error).toMatch(message);
      expect(answer.message).toBe(answer.error);
    }
  });

  it('answers a wrong password and the sign-in rate limit in the shape too', async () => {
    const wrong = JSON.stringify({ email: 'shape@example.com', password: 'not the password' });
    const first = await call('POST', '/api/auth/sign-in/email', wrong);
    expect(first.status).toBe(401);
    expect(await first.json()).toEqual({
      error: 'Invalid email or password',
      message: 'Invalid email or password',
      status_code: 401,
      code: 'INVALID_EMAIL_OR_PASSWORD',
      request_id: 'shape-POST',
    });
    let last: Response | undefined;
    for (let i = 0; i < SIGN_IN_LIMIT + 2; i++) {
      last = await call('POST', '/api/auth/sign-in/email', wrong);
      if (last.status === 429) break;
    }
    expect(last?.status).toBe(429);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    const limited = (await last?.json()) as Record<string, unknown>;
    expect(limited).toMatchObject({ status_code: 429, request_id: 'shape-POST' });
    expect(typeof limited.code).toBe('string');
    expect(typeof limited.error).toBe('string');
    expect(limited.message).toBe(limited.error);
  });

  it('leaves successful answers alone', async () => {
    const res = await call('GET', '/api/auth/jwks');
    expect(res.status).toBe(200);
    expect(Object.keys((await res.json()) as object)).toEqual(['keys']);
  });
});
