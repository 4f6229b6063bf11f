import { sql } from '@taskflow/db';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestIssuer } from './helpers/jwks';
import { freePort } from './helpers/net';
import { logLines, parsePrometheus, sampleValue, waitForLog } from './helpers/observe';
import { type ServiceProcess, startApi, waitForHealth } from './helpers/process';

const METRICS_TOKEN = 'scrape-token-0123456789';

/** Request ids, access lines and /metrics, read from real API processes. */
describe('the API process: request ids, access lines and metrics', () => {
  let issuer: TestIssuer;
  let database: TestDatabase;
  let api: ServiceProcess;
  let url: string;
  let token: string;

  const start = async (env: Record<string, string>) => {
    const port = await freePort();
    const proc = startApi({
      PORT: String(port),
      DATABASE_URL: database.url,
      AUTH_JWKS_URL: issuer.url,
      AUTH_ISSUER: issuer.issuer,
      AUTH_AUDIENCE: issuer.audience,
      LOG_LEVEL: 'info',
      ...env,
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(`${base}/health`, proc);
    return { proc, base };
  };
  const stop = async (proc: ServiceProcess) => {
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  };

  beforeAll(async () => {
    issuer = await new TestIssuer().start();
    database = await createTestDatabase({ migrate: false });
    ({ proc: api, base: url } = await start({ METRICS: 'on', METRICS_TOKEN }));
    token = await issuer.token('obs-user');
  }, 60_000);
  afterAll(async () => {
    if (api) await stop(api);
    await issuer.stop();
    await database.drop();
  });

  const headers = (extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    ...extra,
  });
  const scrape = async (base = url, auth = `Bearer ${METRICS_TOKEN}`) => {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: auth } });
    expect(res.status).toBe(200);
    return parsePrometheus(await res.text());
  };

  describe('request ids and access lines', () => {
    it('echoes a well-formed X-Request-Id and logs one access line naming route, status, time and caller', async () => {
      const res = await fetch(`${url}/api/workers/me`, {
        headers: headers({ 'x-request-id': 'obs-rest-1' }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe('obs-rest-1');
      const line = await waitForLog(api.output, (lines) =>
        lines.find((l) => l.req_id === 'obs-rest-1' && l.msg === 'request'),
      );
      expect(line).toMatchObject({
        level: 'info',
        service: 'api',
        method: 'GET',
        route: '/api/workers/me',
        status: 200,
        principal: 'obs-user',
      });
      expect(typeof line.duration_ms).toBe('number');
      expect(logLines(api.output()).filter((l) => l.req_id === 'obs-rest-1')).toHaveLength(1);

      await fetch(`${url}/trpc/workers.me`, { headers: headers({ 'x-request-id': 'obs-trpc-1' }) });
      expect(
        await waitForLog(api.output, (lines) =>
          lines.find((l) => l.req_id === 'obs-trpc-1' && l.msg === 'request'),
        ),
      ).toMatchObject({ route: '/trpc/workers.me', status: 200, principal: 'obs-user' });
    });

    it('logs one access line for an event stream when it ends, over REST and tRPC', async () => {
      for (const [id, path, route] of [
        ['obs-sse-rest', '/api/events', '/api/events'],
        ['obs-sse-trpc', '/trpc/events.onChange?input=%7B%7D', '/trpc/events.onChange'],
      ] as const) {
        const abort = new AbortController();
        const res = await fetch(`${url}${path}`, {
          headers: headers({ 'x-request-id': id, accept: 'text/event-stream' }),
          signal: abort.signal,
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        // The stream has started; the client goes away.
        await res.body?.getReader().read();
        abort.abort();
        const line = await waitForLog(api.output, (lines) =>
          lines.find((l) => l.req_id === id && l.msg === 'request'),
        );
        expect(line).toMatchObject({ method: 'GET', route, principal: 'obs-user' });
        // A stream ends when its client hangs up: 499, with how long it was open.
        expect(line.status).toBe(499);
        // One line, not one from each of the stream's ends.
        await new Promise((r) => setTimeout(r, 200));
        expect(
          logLines(api.output()).filter((l) => l.req_id === id && l.msg === 'request'),
        ).toHaveLength(1);
      }
    });

    it('replaces an ill-formed id, and names no caller when there is none', async () => {
      const res = await fetch(`${url}/api/tasks`, {
        headers: { 'x-request-id': 'has spaces "and quotes"' },
      });
      expect(res.status).toBe(401);
      const id = res.headers.get('x-request-id') ?? '';
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(((await res.json()) as { request_id: string }).request_id).toBe(id);
      expect(
        await waitForLog(api.output, (lines) =>
          lines.find((l) => l.req_id === id && l.msg === 'request'),
        ),
      ).toMatchObject({ route: '/api/tasks', status: 401, principal: null });
    });

    it('puts the id in REST and tRPC error bodies', async () => {
      const rest = await fetch(`${url}/api/tasks/999999`, {
        headers: headers({ 'x-request-id': 'obs-404-rest' }),
      });
      expect(rest.status).toBe(404);
      expect(await rest.json()).toMatchObject({ code: 'NOT_FOUND', request_id: 'obs-404-rest' });
      const input = encodeURIComponent(JSON.stringify({ id: 999999 }));
      const trpc = await fetch(`${url}/trpc/tasks.get?input=${input}`, {
        headers: headers({ 'x-request-id': 'obs-404-trpc' }),
      });
      expect(trpc.status).toBe(404);
      expect(await trpc.json()).toMatchObject({
        error: { data: { code: 'NOT_FOUND', request_id: 'obs-404-trpc' } },
      });
    });

    it('logs a 500 once, under its request id, with the cause; the client sees no detail', async () => {
      // A real failure the API cannot translate: an internal error raised by the database.
      await sql`create function obs_explode() returns trigger language plpgsql as $$
        begin
          if new.title = 'explode' then
            raise exception 'secret internal detail' using errcode = 'XX000';
          end if;
          return new;
        end $$`.execute(database.db);
      await sql`create trigger obs_explode before insert on tasks for each row execute function obs_explode()`.execute(
        database.db,
      );
      try {
        const rest = await fetch(`${url}/api/tasks`, {
          method: 'POST',
          headers: headers({ 'x-request-id': 'obs-500-rest' }),
          body: '{"title":"explode"}',
        });
        expect(rest.status).toBe(500);
        expect(await rest.json()).toEqual({
          error: 'Internal server error',
          status_code: 500,
          code: 'INTERNAL_SERVER_ERROR',
          request_id: 'obs-500-rest',
        });
        const trpc = await fetch(`${url}/trpc/tasks.create`, {
          method: 'POST',
          headers: headers({ 'x-request-id': 'obs-500-trpc' }),
          body: '{"title":"explode"}',
        });
        expect(trpc.status).toBe(500);
        const body = await trpc.text();
        expect(body).toContain('"request_id":"obs-500-trpc"');
        expect(body).not.toContain('secret internal detail');
        for (const id of ['obs-500-rest', 'obs-500-trpc']) {
          await waitForLog(api.output, (lines) =>
            lines.find((l) => l.req_id === id && l.msg === 'request'),
          );
          const errors = logLines(api.output()).filter(
            (l) => l.req_id === id && l.level === 'error',
          );
          expect(errors, id).toHaveLength(1);
          expect(JSON.stringify(errors[0])).toContain('secret internal detail');
        }
      } finally {
        await sql`drop trigger obs_explode on tasks`.execute(database.db);
      }
    });
  });

  describe('/metrics', () => {
    it('needs the token when METRICS_TOKEN is set', async () => {
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const wrong = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
    });

    it('counts requests per route, and shows the pool and the event loop', async () => {
      const labels = { method: 'GET', route: '/api/workers/me', status: '200' };
      const before = sampleValue(await scrape(), 'http_requests_total', labels);
      for (let i = 0; i < 3; i++)
        expect((await fetch(`${url}/api/workers/me`, { headers: headers() })).status).toBe(200);
      const after = await scrape();
      expect(sampleValue(after, 'http_requests_total', labels)).toBe(before + 3);
      expect(sampleValue(after, 'db_pool_connections')).toBeGreaterThan(0);
      expect(after.some((s) => s.name === 'db_pool_idle_connections')).toBe(true);
      expect(after.some((s) => s.name === 'db_pool_waiting_requests')).toBe(true);
      expect(after.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
      expect(sampleValue(after, 'change_feed_streams')).toBe(0);
      expect(after.some((s) => s.name === 'change_feed_settled_id')).toBe(true);
      // Routes are patterns: no task id, no unknown procedure name becomes a label.
      await fetch(`${url}/trpc/no.such.procedure`, { headers: headers() });
      const routes = new Set(
        (await scrape()).filter((s) => s.name === 'http_requests_total').map((s) => s.labels.route),
      );
      expect(routes.has('/trpc/unknown')).toBe(true);
      expect([...routes].some((r) => r?.includes('no.such'))).toBe(false);
    });

    it('counts committed audit rows and conflicts by procedure', async () => {
      const audit = () => scrape().then((s) => sampleValue(s, 'audit_rows_written_total'));
      const conflicts = () =>
        scrape().then((s) =>
          sampleValue(s, 'workflow_conflicts_total', { procedure: 'tasks.complete' }),
        );
      const rows = async () =>
        (await sql<{ n: number }>`select count(*)::int as n from audit_log`.execute(database.db))
          .rows[0]?.n ?? 0;
      const auditBefore = await audit();
      const rowsBefore = await rows();
      const created = await fetch(`${url}/api/tasks`, {
        method: 'POST',
        headers: headers(),
        body: '{"title":"Counted"}',
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: number };
      // Exactly the rows that were committed (the first task also creates a default project).
      const written = (await rows()) - rowsBefore;
      expect(written).toBeGreaterThanOrEqual(1);
      expect(await audit()).toBe(auditBefore + written);
      // A refused change writes nothing and counts nothing; a pending task cannot be completed.
      const conflictsBefore = await conflicts();
      const refused = await fetch(`${url}/api/tasks/${id}/complete`, {
        method: 'POST',
        headers: headers(),
      });
      expect(refused.status).toBe(409);
      expect(await conflicts()).toBe(conflictsBefore + 1);
      expect(await rows()).toBe(rowsBefore + written);
      expect(await audit()).toBe(auditBefore + written);
    });

    it('serves on a port of its own (METRICS_PORT), and not at all when off', async () => {
      const metricsPort = await freePort();
      const own = await start({ METRICS_PORT: String(metricsPort) });
      try {
        expect((await fetch(`${own.base}/metrics`)).status).toBe(404);
        await fetch(`${own.base}/health`);
        const samples = await scrape(`http://127.0.0.1:${metricsPort}`, '');
        expect(
          sampleValue(samples, 'http_requests_total', { route: '/health', status: '200' }),
        ).toBeGreaterThan(0);
      } finally {
        await stop(own.proc);
      }
      const off = await start({ METRICS: 'off' });
      try {
        const res = await fetch(`${off.base}/metrics`);
        expect(res.status).toBe(404);
        expect(await res.json()).toMatchObject({ code: 'NOT_FOUND' });
      } finally {
        await stop(off.proc);
      }
    }, 60_000);
  });
});
