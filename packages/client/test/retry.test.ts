import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Stack, startStack } from '@taskflow/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskflowClient, describeFailure, type RetryInfo, retryAfterMs } from '../src';

/** What the proxy does with one request: pass it on, refuse it, or lose the answer. */
type Verdict =
  | { kind: 'forward' }
  | { kind: 'refuse'; status: number; retryAfter?: string }
  | { kind: 'drop-before' }
  | { kind: 'drop-after' };

interface Seen {
  method: string;
  path: string;
  key: string | undefined;
  /** The API answered with Idempotent-Replayed: true. */
  replayed?: boolean;
}

/**
 * A real HTTP proxy on loopback in front of the real API. `decide` picks what
 * happens to each request: the API is reached for real, or never, and a
 * response can be lost after the API answered (the connection is cut).
 */
async function startProxy(target: string, decide: (n: number, seen: Seen) => Verdict) {
  const seen: Seen[] = [];
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const server: Server = createServer(async (req, res) => {
    const key = req.headers['idempotency-key'];
    const entry: Seen = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      key: typeof key === 'string' ? key : undefined,
    };
    seen.push(entry);
    const verdict = decide(seen.length, entry);
    const body = await read(req);
    if (verdict.kind === 'drop-before') return req.socket.destroy();
    if (verdict.kind === 'refuse') {
      res.writeHead(verdict.status, {
        'content-type': 'application/json',
        ...(verdict.retryAfter !== undefined && { 'retry-after': verdict.retryAfter }),
      });
      // In tRPC's error shape, as the API itself refuses.
      const code = verdict.status === 429 ? 'TOO_MANY_REQUESTS' : 'SERVICE_UNAVAILABLE';
      return res.end(
        JSON.stringify({
          error: { message: 'try later', code: -32603, data: { code, httpStatus: verdict.status } },
        }),
      );
    }
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'idempotency-key', 'x-taskflow-client']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      ...(body.length && { body }),
    });
    const text = await upstream.text();
    entry.replayed = upstream.headers.get('idempotent-replayed') === 'true';
    // The API has answered (and committed): the client never hears of it.
    if (verdict.kind === 'drop-after') return req.socket.destroy();
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/json',
      ...(upstream.headers.get('idempotent-replayed') && { 'idempotent-replayed': 'true' }),
    });
    res.end(text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('@taskflow/client retries through a real proxy in front of a real API', () => {
  let s: Stack;
  let token: string;
  const proxies: { close: () => Promise<void> }[] = [];

  beforeAll(async () => {
    s = await startStack();
    const { cookie } = await s.signUp('retry@example.com', 'Rita Retry');
    token = await s.tokenFor(cookie);
  });
  afterAll(async () => {
    for (const p of proxies) await p.close();
    await s.stop();
  });

  async function proxy(decide: (n: number, seen: Seen) => Verdict) {
    const p = await startProxy(s.apiUrl, decide);
    proxies.push(p);
    return p;
  }

  /** Tasks with this title, read straight from the API (not through a proxy). */
  async function countTitled(title: string): Promise<number> {
    const direct = createTaskflowClient({ url: s.apiUrl, token });
    const tasks = (await direct.tasks.list.query({ limit: 100 })).items;
    return tasks.filter((t) => t.title === title).length;
  }

  it('waits as a 503 Retry-After asks, then succeeds; every retry carries the same key', async () => {
    const p = await proxy((n) =>
      n <= 2 ? { kind: 'refuse', status: 503, retryAfter: '1' } : { kind: 'forward' },
    );
    const retries: RetryInfo[] = [];
    const client = createTaskflowClient({
      url: p.url,
      token,
      retry: { onRetry: (info) => retries.push(info) },
    });
    const title = 'after two 503s';
    const started = Date.now();
    const task = await client.tasks.create.mutate({ title });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(task.title).toBe(title);
    expect(retries.map((r) => [r.reason, r.delayMs])).toEqual([
      ['503', 1_000],
      ['503', 1_000],
    ]);
    expect(p.seen).toHaveLength(3);
    const keys = new Set(p.seen.map((r) => r.key));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(await countTitled(title)).toBe(1);
  });

  it('retries 429 and network errors with backoff; queries carry no key, each mutation its own', async () => {
    const p = await proxy((n) =>
      n === 1
        ? { kind: 'refuse', status: 429, retryAfter: '0' }
        : n === 2
          ? { kind: 'drop-before' }
          : { kind: 'forward' },
    );
    const retries: RetryInfo[] = [];
    const client = createTaskflowClient({
      url: p.url,
      token,
      retry: { baseDelayMs: 50, onRetry: (info) => retries.push(info) },
    });
    (await client.tasks.list.query({})).items;
    expect(retries.map((r) => r.reason)).toEqual(['429', 'network']);
    // The second wait is backoff: between half and all of 2 × 50 ms.
    expect(retries[1]?.delayMs).toBeGreaterThanOrEqual(50);
    expect(retries[1]?.delayMs).toBeLessThanOrEqual(100);
    await client.tasks.create.mutate({ title: 'one' });
    await client.tasks.create.mutate({ title: 'two' });
    const reads = p.seen.filter((r) => r.method === 'GET');
    const writes = p.seen.filter((r) => r.method === 'POST');
    expect(reads.every((r) => r.key === undefined)).toBe(true);
    expect(writes).toHaveLength(2);
    expect(new Set(writes.map((r) => r.key)).size).toBe(2);
  });

  it('a create whose response was lost is retried with its key: the original task comes back, no duplicate', async () => {
    let lost = 0;
    const p = await proxy((_n, seen) => {
      // Lose the first answer to every keyed create.
      if (seen.method === 'POST' && p.seen.filter((r) => r.key === seen.key).length === 1) {
        lost++;
        return { kind: 'drop-after' };
      }
      return { kind: 'forward' };
    });
    const retries: RetryInfo[] = [];
    const client = createTaskflowClient({
      url: p.url,
      token,
      retry: { baseDelayMs: 20, onRetry: (info) => retries.push(info) },
    });
    const titles = Array.from({ length: 5 }, (_, i) => `lost answer ${i}`);
    const created = await Promise.all(titles.map((title) => client.tasks.create.mutate({ title })));
    expect(lost).toBe(5);
    expect(retries.filter((r) => r.reason === 'network')).toHaveLength(5);
    for (const [i, title] of titles.entries()) {
      expect(created[i]?.title).toBe(title);
      expect(await countTitled(title)).toBe(1);
    }
    // Each task's trail has one "created": the retry did not run the create again.
    const direct = createTaskflowClient({ url: s.apiUrl, token });
    for (const task of created) {
      const trail = (await direct.audit.list.query({ task_id: task.id })).items;
      expect(trail.map((e) => e.action)).toEqual(['created']);
    }
    // The same keyed retries without keys would have made ten tasks: the figure for the report.
    console.info(`retries deduplicated: ${retries.length} retried creates, ${titles.length} tasks`);
  });

  it('under a lossy network, 40 creates make exactly 40 tasks: every retry deduplicated', async () => {
    // Of every four creates, the first attempt of one loses its answer after the API committed
    // it, and of another is refused with 503 before reaching the API; retries go through (so the
    // run is the same every time, whatever the interleaving of the four clients).
    let answersLost = 0;
    const firstSeen = new Map<string, number>();
    const p = await proxy((_n, request) => {
      const key = request.key ?? '';
      if (firstSeen.has(key)) return { kind: 'forward' };
      firstSeen.set(key, firstSeen.size + 1);
      const order = firstSeen.size;
      if (order % 4 === 1) {
        answersLost++;
        return { kind: 'drop-after' };
      }
      return order % 4 === 2
        ? { kind: 'refuse', status: 503, retryAfter: '0' }
        : { kind: 'forward' };
    });
    const retries: RetryInfo[] = [];
    const client = createTaskflowClient({
      url: p.url,
      token,
      retry: { attempts: 6, baseDelayMs: 10, onRetry: (info) => retries.push(info) },
    });
    const titles = Array.from({ length: 40 }, (_, i) => `lossy ${i}`);
    const queue = [...titles];
    const created: string[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let title = queue.shift(); title; title = queue.shift()) {
          created.push((await client.tasks.create.mutate({ title })).title);
        }
      }),
    );
    expect(created.sort()).toEqual([...titles].sort());
    const direct = createTaskflowClient({ url: s.apiUrl, token });
    const tasks = (await direct.tasks.list.query({ limit: 100, q: 'lossy' })).items.filter((t) =>
      titles.includes(t.title),
    );
    expect(tasks).toHaveLength(40);
    expect(new Set(tasks.map((t) => t.title)).size).toBe(40);
    // Each lost answer's retry was answered from the stored outcome, and nothing else was.
    const replayed = p.seen.filter((r) => r.replayed).length;
    expect(answersLost).toBeGreaterThan(0);
    expect(replayed).toBe(answersLost);
    console.info(
      `retries deduplicated: 40 creates, ${p.seen.length} requests, ${retries.length} retries ` +
        `(${answersLost} after a lost answer, replayed from the stored outcome; ` +
        `${retries.filter((r) => r.reason === '503').length} after a 503), 40 tasks, 0 duplicates`,
    );
  });

  it('gives up after its attempts, with the last answer; retry: false sends once', async () => {
    const p = await proxy(() => ({ kind: 'refuse', status: 503, retryAfter: '0' }));
    const client = createTaskflowClient({ url: p.url, token, retry: { attempts: 3 } });
    const failure = describeFailure(await client.tasks.list.query({}).catch((e: unknown) => e));
    expect(failure.status).toBe(503);
    expect(p.seen).toHaveLength(3);
    const once = createTaskflowClient({ url: p.url, token, retry: false });
    await once.tasks.list.query({}).catch(() => undefined);
    expect(p.seen).toHaveLength(4);
    // A Retry-After beyond the time budget is not waited for.
    const slow = await proxy(() => ({ kind: 'refuse', status: 503, retryAfter: '120' }));
    const budget = createTaskflowClient({ url: slow.url, token, retry: { totalMs: 5_000 } });
    const started = Date.now();
    await budget.tasks.list.query({}).catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(slow.seen).toHaveLength(1);
  });

  it('uses a key the caller chose, so a re-run script replays instead of creating again', async () => {
    const client = createTaskflowClient({ url: s.apiUrl, token });
    const context = { idempotencyKey: 'import-2026-11-27-row-17' };
    const first = await client.tasks.create.mutate({ title: 'row 17' }, { context });
    const rerun = await client.tasks.create.mutate({ title: 'row 17' }, { context });
    expect(rerun).toEqual(first);
    expect(await countTitled('row 17')).toBe(1);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3_000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});
