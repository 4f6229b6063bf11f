import type { ServiceProcess } from '@taskflow/api/testing';
import type { TestDatabase } from '@taskflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthProcess, cookiesFrom, startAuthProcess } from './stack';

const ORIGIN = 'http://localhost:3000';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the auth process when the database drops its connections', () => {
  let started: AuthProcess;
  let auth: ServiceProcess;
  let database: TestDatabase;
  let url: string;
  beforeAll(async () => {
    started = await startAuthProcess({
      TRUSTED_ORIGINS: ORIGIN,
      // Every sign-up here comes from one address: this test is about faults, not the limit.
      AUTH_SIGN_IN_LIMIT: '10000',
      AUTH_REQUEST_LIMIT: '100000',
    });
    ({ process: auth, url, database } = started);
  });
  afterAll(() => started?.stop());

  const signUp = (email: string) =>
    fetch(`${url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      body: JSON.stringify({ email, name: email, password: 'correct horse battery' }),
    });

  it('stays up through sign-ups and token requests, answers 200 or 503 + Retry-After, and recovers', async () => {
    // status 0: no answer at all.
    const answers: { status: number; retryAfter: string | null }[] = [];
    const record = (res: Response | undefined) =>
      answers.push({
        status: res?.status ?? 0,
        retryAfter: res?.headers.get('retry-after') ?? null,
      });
    // Accounts made before the faults, whose sessions ask for tokens throughout.
    const cookies: string[] = [];
    for (const n of [0, 1, 2, 3]) cookies.push(cookiesFrom(await signUp(`early-${n}@example.com`)));
    let running = true;
    const signUps = async (n: number) => {
      for (let i = 0; running; i++) {
        const res = await signUp(`user-${n}-${i}@example.com`).catch(() => undefined);
        record(res);
        if (!res) return;
        if (res.status === 503) await sleep(50);
      }
    };
    const tokens = async (cookie: string) => {
      while (running) {
        const res = await fetch(`${url}/api/auth/token`, { headers: { cookie } }).catch(
          () => undefined,
        );
        record(res);
        if (!res) return;
        if (res.status === 503) await sleep(50);
      }
    };
    const load = Promise.all([
      signUps(0),
      signUps(1),
      ...cookies.flatMap((c) => [tokens(c), tokens(c)]),
    ]);

    const terminated: number[] = [];
    await sleep(1_500);
    terminated.push(await database.terminateConnections());
    await sleep(1_500);
    terminated.push(await database.terminateConnections());
    await sleep(1_000);
    running = false;
    await load;

    expect(auth.child.exitCode, auth.output().slice(-3_000)).toBeNull();
    // Both rounds hit live connections: the service had reconnected after the first.
    expect(terminated.every((n) => n > 0)).toBe(true);
    // Every request got an answer: 200, or 503 with Retry-After when the database let it down
    // (never Better Auth's own 500, nor a 401 or 422 that blames the caller).
    expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
    // (How many are refused depends on what was in flight at each fault; usually a few.)
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.filter((a) => !/^\d+$/.test(a.retryAfter ?? ''))).toEqual([]);

    // Serving again: a new account and a token for it.
    const after = await signUp('after@example.com');
    expect(after.status).toBe(200);
    const token = await fetch(`${url}/api/auth/token`, { headers: { cookie: cookiesFrom(after) } });
    expect(token.status).toBe(200);
  }, 60_000);
});
