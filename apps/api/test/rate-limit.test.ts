import type { ErrorBody } from '@taskflow/contracts';
import { createDb, type Database, migrateToLatest, sql } from '@taskflow/db';
import { createLogger } from '@taskflow/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app';
import { type Harness, startHarness } from './helpers/harness';
import { TestIssuer } from './helpers/jwks';
import { freePort } from './helpers/net';

const POLICY = /^"per-principal";q=(\d+);w=60$/;
const LIMIT = /^"per-principal";r=(\d+);t=(\d+)$/;

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

async function get(url: string, token?: string): Promise<Reply> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** REST's and tRPC's ways of asking who I am. */
const rest = (baseUrl: string, token?: string) => get(`${baseUrl}/api/workers/me`, token);
const trpc = (baseUrl: string, token?: string) => get(`${baseUrl}/trpc/workers.me`, token);

/** The available quota and seconds to reset from the RateLimit field. */
function quotaOf(reply: Reply): { r: number; t: number } {
  const m = LIMIT.exec(reply.headers.get('ratelimit') ?? '');
  if (!m) throw new Error(`no RateLimit field: ${reply.headers.get('ratelimit')}`);
  const t = Number(m[2]);
  expect(t).toBeGreaterThanOrEqual(1);
  expect(t).toBeLessThanOrEqual(60);
  return { r: Number(m[1]), t };
}

function expectThrottled(reply: Reply, limit: number): void {
  expect(reply.status).toBe(429);
  expect(reply.headers.get('ratelimit-policy')).toMatch(POLICY);
  expect(POLICY.exec(reply.headers.get('ratelimit-policy') ?? '')?.[1]).toBe(String(limit));
  const { r, t } = quotaOf(reply);
  expect(r).toBe(0);
  // Retry-After never points earlier than the end of the effective window.
  expect(reply.headers.get('retry-after')).toBe(String(t));
  expect(JSON.stringify(reply.body)).not.toMatch(/stack|node_modules|\.ts:\d+/);
}

describe('per-principal rate limit on PostgreSQL, shared by two API processes', () => {
  let h: Harness;
  let other: { app: App; baseUrl: string };

  beforeAll(async () => {
    h = await startHarness({ rateLimitPerMinute: 10 });
    other = await h.startApp();
  });
  afterAll(() => h.stop());

  it('lets 10 calls through across both processes, then answers 429 over REST and tRPC', async () => {
    const ann = await h.issuer.token('ann');
    const replies: Reply[] = [];
    // Six calls to each process, alternating surfaces: REST on one, tRPC on the other.
    for (let i = 0; i < 6; i++) {
      replies.push(await rest(h.baseUrl, ann));
      replies.push(await trpc(other.baseUrl, ann));
    }
    replies.slice(0, 10).forEach((reply, i) => {
      expect(reply.status).toBe(200);
      expect(reply.headers.get('ratelimit-policy')).toBe('"per-principal";q=10;w=60');
      expect(quotaOf(reply).r).toBe(9 - i);
      expect(reply.headers.get('retry-after')).toBeNull();
    });
    const [restRefused, trpcRefused] = replies.slice(10) as [Reply, Reply];
    expectThrottled(restRefused, 10);
    expect(restRefused.body).toMatchObject({ status_code: 429, code: 'TOO_MANY_REQUESTS' });
    expect((restRefused.body as ErrorBody).error).toMatch(/10 calls a minute/);
    expectThrottled(trpcRefused, 10);
    expect(trpcRefused.body).toMatchObject({
      error: { data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429 } },
    });
    // The count lives in the database, not in either process.
    const { rows } = await sql<{ points: number }>`select points from rate_limits`.execute(
      h.database.db,
    );
    expect(rows.map((r) => r.points)).toEqual([12]);
  });

  it('leaves another principal unaffected', async () => {
    const bob = await h.issuer.token('bob');
    const first = await rest(h.baseUrl, bob);
    expect(first.status).toBe(200);
    expect(quotaOf(first).r).toBe(9);
    const second = await trpc(other.baseUrl, bob);
    expect(second.status).toBe(200);
    expect(quotaOf(second).r).toBe(8);
  });

  it('never limits the health endpoints, even for a throttled caller', async () => {
    const ann = await h.issuer.token('ann');
    expect((await rest(h.baseUrl, ann)).status).toBe(429);
    for (const path of ['/health', '/api/health/db', '/trpc/health.live']) {
      const reply = await get(`${h.baseUrl}${path}`, ann);
      expect(reply.status).toBe(200);
      expect(reply.headers.get('ratelimit')).toBeNull();
    }
  });

  it('charges nobody for calls that fail authentication', async () => {
    const forged = await h.issuer.token('cat', {}, { foreign: true });
    for (let i = 0; i < 12; i++) {
      const reply = i % 2 ? await rest(h.baseUrl, forged) : await trpc(other.baseUrl);
      expect(reply.status).toBe(401);
      expect(reply.headers.get('ratelimit')).toBeNull();
    }
    const cat = await h.issuer.token('cat');
    const first = await rest(h.baseUrl, cat);
    expect(first.status).toBe(200);
    expect(quotaOf(first).r).toBe(9);
  });

  it('is off on a process started with RATE_LIMIT_PER_MINUTE=0: no 429, no RateLimit fields', async () => {
    const unlimited = await h.startApp({ rateLimitPerMinute: 0 });
    const fay = await h.issuer.token('fay');
    for (let i = 0; i < 15; i++) {
      const reply = i % 2 ? await rest(unlimited.baseUrl, fay) : await trpc(unlimited.baseUrl, fay);
      expect(reply.status).toBe(200);
      expect(reply.headers.get('ratelimit')).toBeNull();
    }
  });

  it('counts every call of a tRPC batch and refuses only the calls over the limit', async () => {
    const dan = await h.issuer.token('dan');
    const batch = (n: number) => {
      const paths = Array.from({ length: n }, () => 'workers.me').join(',');
      return get(`${other.baseUrl}/trpc/${paths}?batch=1`, dan);
    };
    const four = await batch(4);
    expect(four.status).toBe(200);
    expect(quotaOf(four).r).toBe(6);
    const eight = await batch(8);
    expect(eight.status).toBe(207); // tRPC: a batch of mixed outcomes
    const results = eight.body as { result?: unknown; error?: { data: { code: string } } }[];
    expect(results.filter((r) => r.result)).toHaveLength(6);
    expect(results.filter((r) => r.error?.data.code === 'TOO_MANY_REQUESTS')).toHaveLength(2);
    expect(quotaOf(eight).r).toBe(0);
    expect(eight.headers.get('retry-after')).toBe(String(quotaOf(eight).t));
  });
});

describe('when the shared count cannot be reached', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ rateLimitPerMinute: 3 });
  });
  afterAll(() => h.stop());

  it('answers neither 500 nor unlimited: each process counts on its own', async () => {
    // What a missing grant or a broken table looks like to the limiter.
    await sql`drop table rate_limits`.execute(h.database.db);
    const eve = await h.issuer.token('eve');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await rest(h.baseUrl, eve)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const other = await h.startApp();
    const elsewhere = await trpc(other.baseUrl, eve);
    expect(elsewhere.status).toBe(200);
    expect(quotaOf(elsewhere).r).toBe(2);
  });

  it('gives a request the database outage 503, not a 500 from the limiter', async () => {
    const dead = createDb({
      databaseUrl: `postgres://postgres@127.0.0.1:${await freePort()}/nowhere`,
    });
    const app = createApp({
      db: dead.db,
      logger: createLogger({ service: 'api', level: 'silent' }),
      auth: h.issuer.verifierOptions(),
      rateLimit: { perMinute: 3, pool: dead.pool },
    });
    const url = await app.listen(0);
    try {
      const token = await h.issuer.token('hal');
      const viaRest = await rest(url, token);
      expect(viaRest.status).toBe(503);
      expect(viaRest.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(quotaOf(viaRest).r).toBe(2);
      expect((await trpc(url, token)).status).toBe(503);
    } finally {
      await app.close();
      await dead.close();
    }
  });
});

describe('on PGlite', () => {
  let database: Database;
  let issuer: TestIssuer;
  let app: App;
  let baseUrl: string;

  beforeAll(async () => {
    database = createDb({ dataDir: 'memory://' });
    await migrateToLatest(database.db);
    issuer = await new TestIssuer().start();
    app = createApp({
      db: database.db,
      logger: createLogger({ service: 'api', level: 'silent' }),
      auth: issuer.verifierOptions(),
      rateLimit: { perMinute: 3, pool: database.pool },
    });
    baseUrl = await app.listen(0);
  });
  afterAll(async () => {
    await app.close();
    await issuer.stop();
    await database.close();
  });

  it('counts in memory: the fourth call is refused and the table stays empty', async () => {
    expect(database.pool).toBeUndefined();
    const gus = await issuer.token('gus');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await trpc(baseUrl, gus)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const { rows } = await sql`select * from rate_limits`.execute(database.db);
    expect(rows).toEqual([]);
  });
});
