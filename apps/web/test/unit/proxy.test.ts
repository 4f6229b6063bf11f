import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROXY_BODY_LIMIT } from '../../server/proxy';
import { type RunningWeb, startUpstream, startWeb } from '../support/in-process';

interface Seen {
  upstream: 'api' | 'auth';
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
}

/**
 * Raw bytes over a socket: what fetch would refuse to send. The request should say
 * `Connection: close`; `halfClose` also ends the client's side at once.
 */
function raw(url: string, payload: string, halfClose = true): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('data', (d) => {
      text += d;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    if (halfClose) socket.end(payload);
    else socket.write(payload);
  });
}

describe('the web server in front of the API and the identity service', () => {
  // Real upstreams that answer with what they received, each naming itself.
  let busyAnswers = 0;
  const echo = (name: Seen['upstream']) =>
    startUpstream((req, res) => {
      if (req.url === '/api/busy') {
        busyAnswers += 1;
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ busy: true }));
        return;
      }
      let bodyBytes = 0;
      req.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
      });
      req.on('end', () => {
        const seen: Seen = {
          upstream: name,
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          bodyBytes,
        };
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
        res.end(JSON.stringify(seen));
      });
    });
  let api: Awaited<ReturnType<typeof startUpstream>>;
  let auth: Awaited<ReturnType<typeof startUpstream>>;
  let web: RunningWeb;
  const distDir = mkdtempSync(join(tmpdir(), 'taskflow-web-dist-'));

  beforeAll(async () => {
    writeFileSync(join(distDir, 'index.html'), '<div id="root"></div>');
    api = await echo('api');
    auth = await echo('auth');
    web = await startWeb({ distDir, apiUrl: api.url, authUrl: auth.url });
  });
  afterAll(async () => {
    await web.app.close();
    await api.close();
    await auth.close();
    rmSync(distDir, { recursive: true, force: true });
  });

  it.each([
    ['/api/auth/sign-in/email', 'auth'],
    ['/api/agents/keys', 'auth'],
    ['/trpc/tasks.list?batch=1&input=%7B%7D', 'api'],
    ['/api/tasks?status=open', 'api'],
    ['/api/unknown/thing', 'api'],
    ['/openapi.json', 'api'],
    ['/docs', 'api'],
    ['/mcp?tools=core', 'api'],
  ])('forwards %s to the %s service, path and query unchanged', async (path, upstream) => {
    const res = await fetch(`${web.url}${path}`);
    expect(res.status).toBe(200);
    const seen = (await res.json()) as Seen;
    expect(seen.upstream).toBe(upstream);
    expect(seen.url).toBe(path);
  });

  it.each(['/api/auth/sign-in/email', '/trpc/tasks.list'])(
    'tells %s the real client address, not the one the client claims',
    async (path) => {
      const res = await fetch(`${web.url}${path}`, {
        headers: {
          'x-forwarded-for': '203.0.113.7',
          forwarded: 'for=203.0.113.7;proto=https',
          'x-real-ip': '203.0.113.7',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'evil.example',
          'x-forwarded-port': '443',
          'x-custom': 'kept',
        },
      });
      const { headers: seen } = (await res.json()) as Seen;
      expect(seen['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen['x-forwarded-proto']).toBe('http');
      expect(seen['x-forwarded-host']).toBe(new URL(web.url).host);
      expect(seen.forwarded).toBeUndefined();
      expect(seen['x-real-ip']).toBeUndefined();
      expect(seen['x-forwarded-port']).toBeUndefined();
      expect(seen['x-custom']).toBe('kept');
    },
  );

  it('carries the X-Request-Id to the upstream and back, and logs one access line under it', async () => {
    const res = await fetch(`${web.url}/trpc/tasks.list`, {
      headers: { 'x-request-id': 'web-proxy-1' },
    });
    expect(res.headers.get('x-request-id')).toBe('web-proxy-1');
    expect(res.headers.get('x-upstream')).toBe('api');
    const { headers: seen } = (await res.json()) as Seen;
    expect(seen['x-request-id']).toBe('web-proxy-1');
    await expect
      .poll(() => web.lines.filter((l) => l.req_id === 'web-proxy-1' && l.msg === 'request'))
      .toEqual([
        expect.objectContaining({
          service: 'web',
          method: 'GET',
          route: '/trpc/*',
          status: 200,
        }),
      ]);
  });

  it("passes the upstream's own 503 on at once, without retrying it", async () => {
    const res = await fetch(`${web.url}/api/busy`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({ busy: true });
    expect(busyAnswers).toBe(1);
  });

  it('streams a JSON body through unchanged', async () => {
    const body = JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(5000) });
    const res = await fetch(`${web.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const seen = (await res.json()) as Seen;
    expect(seen).toMatchObject({ upstream: 'auth', method: 'POST', bodyBytes: body.length });
  });

  it('refuses a body over the limit with 413 in the error shape, declared or chunked', async () => {
    const declared = await fetch(`${web.url}/trpc/tasks.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'too-big-1' },
      body: 'x'.repeat(PROXY_BODY_LIMIT + 1),
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({
      error: `Request body exceeds ${PROXY_BODY_LIMIT} bytes`,
      status_code: 413,
      code: 'PAYLOAD_TOO_LARGE',
      request_id: 'too-big-1',
    });
    const chunk = 'y'.repeat(64 * 1024);
    const chunks = Math.ceil(PROXY_BODY_LIMIT / chunk.length) + 2;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode(chunk));
      },
    });
    let sent = 0;
    const limited = stream.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(piece, controller) {
          if (sent++ < chunks) controller.enqueue(piece);
          else controller.terminate();
        },
      }),
    );
    const chunked = await fetch(`${web.url}/api/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: limited,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status_code: 413 });
  });

  it('forwards a request that expects 100-continue or names a stray Upgrade, without those headers', async () => {
    const answer = await raw(
      web.url,
      'POST /api/tasks HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nUpgrade: websocket\r\n' +
        'Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
      false,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    const seen = JSON.parse(answer.slice(answer.indexOf('{'), answer.lastIndexOf('}') + 1)) as Seen;
    expect(seen).toMatchObject({ upstream: 'api', method: 'POST', bodyBytes: 2 });
    expect(seen.headers.expect).toBeUndefined();
    expect(seen.headers.upgrade).toBeUndefined();
    // The upstream's keep-alive is not passed off as this connection's.
    const head = answer.slice(0, answer.indexOf('\r\n\r\n', answer.indexOf('200 OK')));
    expect(head.toLowerCase()).not.toContain('keep-alive');
  });

  it('answers a path that cannot be decoded with 400, and keeps serving', async () => {
    const answer = await raw(
      web.url,
      'GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"status_code":400,"code":"BAD_REQUEST"');
    expect((await fetch(`${web.url}/`)).status).toBe(200);
  });
});

const UPSTREAM_TIMEOUT_MS = 400;

describe('when an upstream is down or fails', () => {
  let web: RunningWeb;
  let broken: Awaited<ReturnType<typeof startUpstream>>;
  let downUrl: string;
  const distDir = mkdtempSync(join(tmpdir(), 'taskflow-web-dist-'));

  beforeAll(async () => {
    writeFileSync(join(distDir, 'index.html'), '<div id="root"></div>');
    // A port that was just ours and now has nobody listening: connection refused.
    const gone = await startUpstream(() => undefined);
    downUrl = gone.url;
    await gone.close();
    // An upstream that hangs up without answering.
    broken = await startUpstream((req) => req.socket.destroy());
    web = await startWeb({
      distDir,
      apiUrl: broken.url,
      authUrl: downUrl,
      upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
    });
  });
  afterAll(async () => {
    await web.app.close();
    await broken.close();
    rmSync(distDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After in the error shape when nothing listens', async () => {
    const res = await fetch(`${web.url}/api/auth/get-session`, {
      headers: { 'x-request-id': 'down-1' },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.headers.get('x-request-id')).toBe('down-1');
    expect(await res.json()).toEqual({
      error: 'TaskFlow is unavailable right now; try again shortly',
      status_code: 503,
      code: 'SERVICE_UNAVAILABLE',
      request_id: 'down-1',
    });
  });

  it('answers 502 in the error shape when the upstream hangs up', async () => {
    const res = await fetch(`${web.url}/trpc/tasks.list`, {
      headers: { 'x-request-id': 'hangup-1' },
    });
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({
      error: 'TaskFlow answered badly or hung up; try again shortly',
      status_code: 502,
      code: 'BAD_GATEWAY',
      request_id: 'hangup-1',
    });
    // And the web server itself is fine.
    expect((await fetch(`${web.url}/`)).status).toBe(200);
  });

  it('logs a refused connection as one warning, without a stack', async () => {
    await fetch(`${web.url}/api/auth/get-session`, { headers: { 'x-request-id': 'down-2' } });
    await expect
      .poll(() => web.lines.filter((l) => l.req_id === 'down-2' && l.msg === 'request'))
      .toHaveLength(1);
    const warnings = web.lines.filter((l) => l.req_id === 'down-2' && l.level === 'warn');
    expect(warnings).toHaveLength(1);
    const err = warnings[0]?.err as Record<string, unknown>;
    expect(err.stack).toBeUndefined();
    expect(JSON.stringify(err)).toContain('ECONNREFUSED');
  });
});

describe('when an upstream accepts the request and never answers', () => {
  let web: RunningWeb;
  let hung: Awaited<ReturnType<typeof startUpstream>>;
  const closed: string[] = [];
  const distDir = mkdtempSync(join(tmpdir(), 'taskflow-web-dist-'));

  beforeAll(async () => {
    writeFileSync(join(distDir, 'index.html'), '<div id="root"></div>');
    hung = await startUpstream((req, res) => {
      res.on('close', () => closed.push(String(req.headers['x-request-id'])));
    });
    web = await startWeb({
      distDir,
      apiUrl: hung.url,
      authUrl: hung.url,
      upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
    });
  });
  afterAll(async () => {
    await web.app.close();
    await hung.close();
    rmSync(distDir, { recursive: true, force: true });
  });

  it('answers 504 in the error shape once the upstream timeout passes, and lets go upstream', async () => {
    const started = performance.now();
    const res = await fetch(`${web.url}/trpc/tasks.list`, {
      headers: { 'x-request-id': 'hung-1' },
      signal: AbortSignal.timeout(10_000),
    });
    const elapsed = performance.now() - started;
    expect(res.status).toBe(504);
    expect(res.headers.get('x-request-id')).toBe('hung-1');
    expect(await res.json()).toEqual({
      error: 'TaskFlow took too long to answer',
      status_code: 504,
      code: 'GATEWAY_TIMEOUT',
      request_id: 'hung-1',
    });
    expect(elapsed).toBeGreaterThanOrEqual(UPSTREAM_TIMEOUT_MS - 50);
    await expect.poll(() => closed).toContain('hung-1');
  });
});

describe('stopping while a request waits for an upstream', () => {
  it('answers it 503 with Retry-After after the drain grace, not a cut connection', async () => {
    const distDir = mkdtempSync(join(tmpdir(), 'taskflow-web-dist-'));
    writeFileSync(join(distDir, 'index.html'), '<div id="root"></div>');
    const arrived: string[] = [];
    const hung = await startUpstream((req) => {
      arrived.push(String(req.headers['x-request-id']));
    });
    const web = await startWeb({
      distDir,
      apiUrl: hung.url,
      authUrl: hung.url,
      upstreamTimeoutMs: 20_000,
      drainMs: 300,
    });
    try {
      const pending = fetch(`${web.url}/trpc/tasks.list`, {
        headers: { 'x-request-id': 'stopping-1' },
        signal: AbortSignal.timeout(10_000),
      });
      await expect.poll(() => arrived).toContain('stopping-1');
      const closed = web.app.close();
      const res = await pending;
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(await res.json()).toEqual({
        error: 'TaskFlow is restarting; try again shortly',
        status_code: 503,
        code: 'SERVICE_UNAVAILABLE',
        request_id: 'stopping-1',
      });
      await closed;
    } finally {
      await web.app.close();
      await hung.close();
      rmSync(distDir, { recursive: true, force: true });
    }
  });
});
