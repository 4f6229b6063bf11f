import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack';

/**
 * A sign-in sent from a chosen loopback address (Linux routes all of
 * 127.0.0.0/8 to lo), so each test client has a socket address of its own.
 */
function signIn(
  s: Stack,
  from: string,
  body: { email: string; password: string },
  headers: Record<string, string> = {},
): Promise<number> {
  const url = new URL(`${s.authUrl}/api/auth/sign-in/email`);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          origin: 'http://localhost:3000',
          ...headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const LIMIT = 3;
const wrong = { email: 'victim@example.com', password: 'not the password' };
const right = { email: 'victim@example.com', password: 'correct horse battery' };

describe('sign-in rate limit without trusted proxies', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ signInLimit: { max: LIMIT, windowSec: 60 } });
    await s.signUp('victim@example.com', 'Victim');
  });
  afterAll(() => s.stop());

  it('is on, and rotating X-Forwarded-For does not escape it', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 3; i++)
      statuses.push(await signIn(s, '127.0.0.2', wrong, { 'x-forwarded-for': `198.51.100.${i}` }));
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(statuses.slice(LIMIT)).toEqual([429, 429, 429]);
    // A refused client is told when to come back, in the standard header
    // (fetch comes from 127.0.0.1, a client of its own: it spends its allowance first).
    let last: Response | undefined;
    for (let i = 0; i <= LIMIT; i++) {
      last = await fetch(`${s.authUrl}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
        body: JSON.stringify(wrong),
      });
    }
    expect(last?.status).toBe(429);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('does not lock out the client whose address a spoofed header names', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++)
      statuses.push(await signIn(s, '127.0.0.3', wrong, { 'x-forwarded-for': '127.0.0.4' }));
    expect(statuses.at(-1)).toBe(429);
    // The victim at 127.0.0.4 signs in: the attacker used up 127.0.0.3's attempts, not theirs.
    expect(await signIn(s, '127.0.0.4', right)).toBe(200);
    // Nor does the header Better Auth would read by itself choose the bucket.
    expect(await signIn(s, '127.0.0.3', right, { 'x-taskflow-client-ip': '127.0.0.9' })).toBe(429);
  });
});

describe('sign-in rate limit behind a trusted proxy', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      signInLimit: { max: LIMIT, windowSec: 60 },
      trustedProxies: ['127.0.0.5', '10.0.0.0/8'],
    });
    await s.signUp('victim@example.com', 'Victim');
  });
  afterAll(() => s.stop());

  it("keys on the proxy's X-Forwarded-For: one client limited, the next one not", async () => {
    const viaProxy = (body: typeof wrong, forwardedFor: string) =>
      signIn(s, '127.0.0.5', body, { 'x-forwarded-for': forwardedFor });
    const statuses: number[] = [];
    // The client's own left-hand entries change every time; the proxy appended the real one.
    for (let i = 0; i < LIMIT + 1; i++)
      statuses.push(await viaProxy(wrong, `192.0.2.${i}, 203.0.113.7`));
    expect(statuses).toEqual([...Array(LIMIT).fill(401), 429]);
    // Another client behind the same proxy (and an inner trusted hop) is not affected.
    expect(await viaProxy(right, '203.0.113.8, 10.1.2.3')).toBe(200);
    const sessions = (await s.database.db
      .selectFrom('session' as never)
      .select('ipAddress' as never)
      .execute()) as { ipAddress: string }[];
    expect(sessions.map((row) => row.ipAddress)).toContain('203.0.113.8');
  });

  it('ignores the header from a client that is not a trusted proxy', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++)
      statuses.push(await signIn(s, '127.0.0.6', wrong, { 'x-forwarded-for': `198.51.100.${i}` }));
    expect(statuses.at(-1)).toBe(429);
  });
});
