import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ServiceProcess, startService, waitForHealth } from '@taskflow/api/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthProcess, cookiesFrom, freePort, startAuthProcess } from './stack';

const AUTH_DIR = resolve(import.meta.dirname, '..');
const WEB = 'http://localhost:3000';

type LogLine = Record<string, unknown>;

/** The JSON lines the process wrote so far (stdout and stderr; the service logs to stderr). */
function logLines(service: ServiceProcess): LogLine[] {
  return service
    .output()
    .split('\n')
    .flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
}

/** Waits for the access line of one request (pino writes asynchronously). */
async function accessLine(service: ServiceProcess, requestId: string): Promise<LogLine> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const line = logLines(service).find((l) => l.msg === 'request' && l.req_id === requestId);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no access line for ${requestId}:\n${service.output().slice(-3_000)}`);
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format, one sample a line: `name{a="x",b="y"} 1`. */
function parseMetrics(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) return [];
    const labels: Record<string, string> = {};
    for (const [, key = '', value = ''] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key] = value;
    return [{ name: m[1] ?? '', labels, value: Number(m[3]) }];
  });
}

describe('the auth process: request ids, access lines, metrics and CORS', () => {
  let started: AuthProcess;
  let auth: ServiceProcess;
  let url: string;
  beforeAll(async () => {
    started = await startAuthProcess({ LOG_LEVEL: 'info', TRUSTED_ORIGINS: WEB });
    ({ process: auth, url } = started);
  }, 60_000);
  afterAll(() => started?.stop());

  it('echoes a well-formed X-Request-Id and logs one access line under it', async () => {
    const res = await fetch(`${url}/health`, { headers: { 'x-request-id': 'auth-health-1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('auth-health-1');
    expect(await accessLine(auth, 'auth-health-1')).toMatchObject({
      level: 'info',
      service: 'auth',
      method: 'GET',
      route: '/health',
      status: 200,
      principal: null,
    });
    expect(logLines(auth).filter((l) => l.req_id === 'auth-health-1')).toHaveLength(1);
    // An ill-formed one is replaced, and the error body carries the id it got.
    const missing = await fetch(`${url}/nope`, { headers: { 'x-request-id': 'has "quotes"' } });
    const id = missing.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await missing.json()).toMatchObject({ status_code: 404, request_id: id });
    expect(await accessLine(auth, id ?? '')).toMatchObject({ route: 'unmatched', status: 404 });
  });

  it("names Better Auth's endpoint and the session's user; unknown paths only by the pattern", async () => {
    const signUp = await fetch(`${url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: WEB, 'x-request-id': 'sign-up-1' },
      body: JSON.stringify({ email: 'ada@example.com', name: 'Ada', password: 'long enough pw' }),
    });
    expect(signUp.status).toBe(200);
    const { user } = (await signUp.json()) as { user: { id: string } };
    // Nobody was signed in when the request came.
    expect(await accessLine(auth, 'sign-up-1')).toMatchObject({
      route: '/api/auth/sign-up/email',
      status: 200,
      principal: null,
    });
    const cookie = cookiesFrom(signUp);
    const session = await fetch(`${url}/api/auth/get-session`, {
      headers: { cookie, 'x-request-id': 'session-1' },
    });
    expect(session.status).toBe(200);
    expect(await accessLine(auth, 'session-1')).toMatchObject({
      route: '/api/auth/get-session',
      principal: user.id,
    });
    const token = await fetch(`${url}/api/auth/token`, {
      headers: { cookie, 'x-request-id': 'token-1' },
    });
    expect(token.status).toBe(200);
    expect(await accessLine(auth, 'token-1')).toMatchObject({
      route: '/api/auth/token',
      principal: user.id,
    });
    // The agent endpoints name the admin who called, and the agent whose key was exchanged.
    const created = await fetch(`${url}/api/agents`, {
      method: 'POST',
      headers: {
        cookie,
        origin: WEB,
        'content-type': 'application/json',
        'x-request-id': 'agent-1',
      },
      body: JSON.stringify({ name: 'Log Bot' }),
    });
    expect(created.status).toBe(201);
    const { agent, api_key } = (await created.json()) as { agent: { id: string }; api_key: string };
    expect(await accessLine(auth, 'agent-1')).toMatchObject({
      route: '/api/agents',
      status: 201,
      principal: user.id,
    });
    const exchanged = await fetch(`${url}/api/agents/token`, {
      method: 'POST',
      headers: { 'x-api-key': api_key, 'x-request-id': 'exchange-1' },
    });
    expect(exchanged.status).toBe(200);
    expect(Object.keys((await exchanged.json()) as object).sort()).toEqual(['token', 'token_type']);
    expect(await accessLine(auth, 'exchange-1')).toMatchObject({
      route: '/api/agents/token',
      principal: agent.id,
    });
    // Better Auth's own messages are lines of the same request.
    const badKey = await fetch(`${url}/api/agents/token`, {
      method: 'POST',
      headers: { 'x-api-key': 'tf_not-a-key', 'x-request-id': 'bad-key-1' },
    });
    expect(badKey.status).toBe(401);
    await accessLine(auth, 'bad-key-1');
    expect(
      logLines(auth).find((l) => l.req_id === 'bad-key-1' && l.msg !== 'request'),
    ).toMatchObject({ service: 'auth', source: 'better-auth' });
    // Credentials never reach the log.
    expect(auth.output()).not.toContain(api_key);

    const unknown = await fetch(`${url}/api/auth/no-such-endpoint-42`, {
      headers: { 'x-request-id': 'unknown-1' },
    });
    expect(unknown.status).toBe(404);
    expect(await accessLine(auth, 'unknown-1')).toMatchObject({ route: '/api/auth/*' });
  });

  it('serves /metrics in Prometheus text format, with bounded route labels', async () => {
    await fetch(`${url}/health`);
    await fetch(`${url}/api/auth/jwks`);
    await fetch(`${url}/api/auth/random-${Date.now()}`);
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const samples = parseMetrics(await res.text());
    const requests = samples.filter((s) => s.name === 'http_requests_total');
    const count = (route: string, status: string) =>
      requests.find(
        (s) =>
          s.labels.route === route &&
          s.labels.status === status &&
          s.labels.method === 'GET' &&
          s.labels.service === 'auth',
      )?.value ?? 0;
    expect(count('/health', '200')).toBeGreaterThanOrEqual(2);
    expect(count('/api/auth/jwks', '200')).toBeGreaterThanOrEqual(1);
    expect(count('/api/auth/*', '404')).toBeGreaterThanOrEqual(1);
    expect(requests.every((s) => !s.labels.route?.includes('random-'))).toBe(true);
    expect(
      samples.some(
        (s) => s.name === 'http_request_duration_seconds_count' && s.labels.route === '/health',
      ),
    ).toBe(true);
    // The process's own figures come along (event-loop lag among them).
    expect(samples.some((s) => s.name.startsWith('nodejs_eventloop_lag'))).toBe(true);
  });

  it('answers a CORS preflight from the web app with credentials, and not one from elsewhere', async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/api/auth/sign-in/email`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    const trusted = await preflight(WEB);
    expect(trusted.status).toBe(204);
    expect(trusted.headers.get('access-control-allow-origin')).toBe(WEB);
    expect(trusted.headers.get('access-control-allow-credentials')).toBe('true');
    expect(trusted.headers.get('access-control-allow-methods')).toContain('POST');
    expect(trusted.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(trusted.headers.get('access-control-allow-headers')?.split(/,\s*/)).toEqual([
      'content-type',
      'authorization',
      'x-api-key',
    ]);
    expect(trusted.headers.get('access-control-max-age')).toBe('600');
    expect(trusted.headers.get('vary')).toContain('Origin');

    const foreign = await preflight('https://evil.example');
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ code: 'FORBIDDEN', status_code: 403 });
    for (const [name] of foreign.headers) expect(name).not.toMatch(/^access-control-/);

    // A real request from the web app may read the token header Better Auth sends.
    const simple = await fetch(`${url}/api/auth/jwks`, { headers: { origin: WEB } });
    expect(simple.headers.get('access-control-allow-origin')).toBe(WEB);
    expect(simple.headers.get('access-control-expose-headers')).toBe('set-auth-jwt');
    const other = await fetch(`${url}/api/auth/jwks`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the auth process refusing to start', () => {
  it('exits 78 on a configuration it refuses, naming every problem', async () => {
    const refused = startService(AUTH_DIR, {
      NODE_ENV: 'production',
      BETTER_AUTH_URL: 'http://auth.example.com',
    });
    expect(await refused.exited).toBe(78);
    expect(refused.output()).toContain('TaskFlow auth cannot start. Invalid configuration:');
    expect(refused.output()).toContain('BETTER_AUTH_URL must use https in production');
  });

  it('exits 75 on a PGlite folder another auth process holds, which keeps serving', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'taskflow-auth-busy-'));
    const env = async () => ({
      NODE_ENV: 'test',
      AUTH_PORT: String(await freePort()),
      BETTER_AUTH_SECRET: 'test-secret-test-secret-test-secret-0123',
      AUTH_PGLITE_DATA_DIR: dataDir,
    });
    const holderEnv = await env();
    const holder = startService(AUTH_DIR, holderEnv);
    try {
      const health = `http://127.0.0.1:${holderEnv.AUTH_PORT}/health`;
      await waitForHealth(health, holder);
      const second = startService(AUTH_DIR, await env());
      expect(await second.exited).toBe(75);
      expect(second.output()).toContain('TaskFlow auth cannot start.');
      expect((await fetch(health)).status).toBe(200);
      holder.child.kill('SIGTERM');
      expect(await holder.exited).toBe(0);
    } finally {
      holder.child.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
