import { connect } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHttpMetrics,
  createLogger,
  createService,
  exposeMetrics,
  type HttpMetrics,
} from '../src/index';

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    done();
  },
});

let app: FastifyInstance;
let base: string;
let metrics: HttpMetrics;
let closeOwn: () => Promise<void>;
let ownBase: string;
const TOKEN = 'a-metrics-token-long-enough';

beforeAll(async () => {
  const logger = createLogger({ service: 'test', destination: sink });
  metrics = createHttpMetrics('test');
  app = createService({ logger, metrics, bodyLimit: 1024 });
  app.get('/hello/:name', async (request) => {
    request.principalId = 'worker-7';
    return { hello: (request.params as { name: string }).name };
  });
  app.get('/hang', () => new Promise(() => undefined));
  app.get('/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.post('/echo', async (request) => ({ body: request.body }));
  app.get('/boom', async () => {
    throw new Error('secret detail');
  });
  await exposeMetrics(app, metrics.registry, { mode: 'same-port', token: TOKEN }, logger);
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  const other = createService({ logger });
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  closeOwn = await exposeMetrics(
    other,
    metrics.registry,
    { mode: 'own-port', port, host: '127.0.0.1', token: undefined },
    logger,
  );
  ownBase = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await app.close();
  await closeOwn();
});

const accessLines = () => lines.filter((l) => l.msg === 'request');

/** Raw bytes over a socket: what fetch would refuse to send. */
function raw(payload: string | Buffer): Promise<string> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let out = '';
    socket.on('data', (d) => {
      out += d;
    });
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.end(payload);
  });
}

describe('request ids', () => {
  it('echoes a well-formed X-Request-Id and logs the access line under it', async () => {
    const res = await fetch(`${base}/hello/ada`, { headers: { 'x-request-id': 'trace-123.abc' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-123.abc');
    await new Promise((r) => setTimeout(r, 50));
    const line = accessLines().find((l) => l.req_id === 'trace-123.abc');
    expect(line).toMatchObject({
      service: 'test',
      level: 'info',
      method: 'GET',
      route: '/hello/:name',
      status: 200,
      principal: 'worker-7',
    });
    expect(typeof line?.duration_ms).toBe('number');
  });

  it('replaces an ill-formed id with a fresh one', async () => {
    const res = await fetch(`${base}/hello/ada`, {
      headers: { 'x-request-id': 'has spaces "and quotes"' },
    });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('carries the id in error bodies, and logs a 500 once with its stack but never sends it', async () => {
    const res = await fetch(`${base}/boom`, { headers: { 'x-request-id': 'boom-1' } });
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body).toEqual({
      error: 'Internal server error',
      status_code: 500,
      code: 'INTERNAL_SERVER_ERROR',
      request_id: 'boom-1',
    });
    await new Promise((r) => setTimeout(r, 50));
    const failures = lines.filter((l) => l.req_id === 'boom-1' && l.level === 'error');
    expect(failures).toHaveLength(1);
    expect(JSON.stringify(failures[0])).toContain('secret detail');
  });

  it('gives a request the guard refuses an id too, and an access line', async () => {
    const out = await raw('GET /%E0 HTTP/1.1\r\nHost: x\r\nX-Request-Id: bad-target-1\r\n\r\n');
    expect(out).toMatch(/^HTTP\/1.1 400/);
    expect(out.toLowerCase()).toContain('x-request-id: bad-target-1');
    expect(out).toContain('"request_id":"bad-target-1"');
    await new Promise((r) => setTimeout(r, 50));
    expect(accessLines().filter((l) => l.req_id === 'bad-target-1')).toEqual([
      expect.objectContaining({ route: 'unmatched', status: 400, method: 'GET' }),
    ]);
  });

  it('answers an HTTP/1.1 request without Host in the error shape (HTTP/1.0 may omit it)', async () => {
    const out = await raw('GET /hello/x HTTP/1.1\r\nX-Request-Id: no-host-1\r\n\r\n');
    expect(out).toMatch(/^HTTP\/1.1 400/);
    expect(out).toContain('"code":"BAD_REQUEST"');
    expect(out).toContain('"request_id":"no-host-1"');
    const old = await raw('GET /hello/x HTTP/1.0\r\n\r\n');
    expect(old).toMatch(/^HTTP\/1.1 200/);
  });

  it('answers a path parameter over the limit 414 in the error shape, and logs it', async () => {
    const res = await fetch(`${base}/items/${'9'.repeat(600)}`, {
      headers: { 'x-request-id': 'long-param-1' },
    });
    expect(res.status).toBe(414);
    const body = await res.json();
    expect(body).toEqual({
      error: 'A path segment is too long',
      status_code: 414,
      code: 'URI_TOO_LONG',
      request_id: 'long-param-1',
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(accessLines().find((l) => l.req_id === 'long-param-1')).toMatchObject({ status: 414 });
  });
});

describe('bodies', () => {
  it('refuses bytes that are not UTF-8 with 400, not U+FFFD', async () => {
    const body = Buffer.concat([
      Buffer.from('{"a":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const out = await raw(
      Buffer.concat([
        Buffer.from(
          `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
        ),
        body,
      ]),
    );
    expect(out).toMatch(/^HTTP\/1.1 400/);
    expect(out).toContain('"code":"PARSE_ERROR"');
  });

  it('answers bad JSON, a prototype key, a big body and an unknown type in the error shape', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': type }, body });
    const bad = await post('{"a":');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'PARSE_ERROR', status_code: 400 });
    const proto = await post('{"__proto__":{"admin":true}}');
    expect(proto.status).toBe(400);
    const big = await post(JSON.stringify({ a: 'x'.repeat(2048) }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const text = await post('{"a":1}', 'text/plain');
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const xml = await post('<a/>', 'application/xml');
    expect(xml.status).toBe(415);
    expect(await xml.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const ok = await post('{"a":1}');
    expect(await ok.json()).toEqual({ body: { a: 1 } });
  });

  it('answers an unknown route 404 in the error shape', async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'NOT_FOUND', request_id: expect.any(String) });
  });
});

describe('metrics', () => {
  it('requires the token on the service port and counts requests per route pattern', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    await fetch(`${base}/hello/grace`);
    // The scheme is case-insensitive.
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const count = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('http_requests_total{') &&
          l.includes('route="/hello/:name"') &&
          l.includes('status="200"'),
      );
    expect(Number(count?.split(' ').at(-1))).toBeGreaterThanOrEqual(2);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('http_request_duration_seconds_bucket{');
    expect(text).not.toContain('/hello/grace');
  });

  it('serves the same registry on a port of its own', async () => {
    const res = await fetch(`${ownBase}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('http_requests_total');
    const other = await fetch(`${ownBase}/nope`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ code: 'NOT_FOUND', request_id: expect.any(String) });
  });
});

describe('abandoned requests', () => {
  it('still get an access line, with status 499', async () => {
    const { port } = new URL(base);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /hang HTTP/1.1\r\nHost: x\r\nX-Request-Id: abandoned-1\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(accessLines().find((l) => l.req_id === 'abandoned-1')).toMatchObject({
      route: '/hang',
      status: 499,
    });
  });
});
