import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerClientErrors,
  decodeUtf8,
  guardRequests,
  HttpError,
  isValidHost,
  parseRequestTarget,
} from '../src';

/** Writes raw bytes, resolves with everything the server sent before closing. */
function raw(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.end(bytes);
  });
}

describe('parseRequestTarget', () => {
  it('parses origin-form paths, keeping "//x" a path', () => {
    expect(parseRequestTarget('/api/tasks?limit=5')?.searchParams.get('limit')).toBe('5');
    expect(parseRequestTarget('//evil.example/x')?.host).toBe('localhost');
    expect(parseRequestTarget('//evil.example/x')?.pathname).toBe('//evil.example/x');
    // `new URL('//[', base)` throws; as a path it is just an odd one (a 404, not a crash).
    expect(parseRequestTarget('//[')?.pathname).toBe('//[');
    expect(parseRequestTarget('/api/tasks?q=caf%C3%A9+au+lait')?.searchParams.get('q')).toBe(
      'café au lait',
    );
  });

  it.each([
    '/%E0',
    '/%C0%80',
    '/api/tasks/%',
    '/a/%ZZ',
    '/api/tasks?q=%E0',
    '/api/tasks?q=100%',
    '/api/tasks?q=a&tag=%ED%A0%80',
    '*',
    'http://other.example/',
    '',
    undefined,
  ])('refuses %j', (target) => {
    expect(parseRequestTarget(target)).toBeUndefined();
  });
});

describe('isValidHost', () => {
  it.each(['localhost', 'localhost:3000', '127.0.0.1:8000', '[::1]:3001', 'taskflow.example.com'])(
    'accepts %j',
    (host) => expect(isValidHost(host)).toBe(true),
  );
  it.each([
    '',
    '[::1',
    'a b',
    'a/b',
    'user@host',
    'host?x',
    'host#x',
    'a\\b',
    'host:99999',
    '[',
    ':80',
  ])('refuses %j', (host) => expect(isValidHost(host)).toBe(false));
});

describe('a guarded server', () => {
  let server: Server;
  let port: number;
  const logged: string[] = [];
  beforeAll(async () => {
    server = answerClientErrors(
      createServer(
        guardRequests(
          (_req, res, url) => {
            if (url.pathname === '/throw') throw new Error('listener bug');
            if (url.pathname === '/reject') return Promise.reject(new Error('async bug'));
            decodeURIComponent(url.pathname);
            res.end('ok');
          },
          (msg) => logged.push(msg),
        ),
      ),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('answers unparsable targets 400 in the JSON error shape', async () => {
    for (const target of ['/%E0', '/x/%', '/%C0%80']) {
      const answer = await raw(
        port,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('"status_code":400,"code":"BAD_REQUEST"');
    }
  });

  it('answers a Host that is not a host with 400', async () => {
    const answer = await raw(port, 'GET / HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('The Host header is not a valid host');
  });

  it('answers malformed HTTP 400 and closes', async () => {
    const answer = await raw(port, 'GET / HTTP/1.1\r\nBad Header: x\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(answer).toContain('"code":"BAD_REQUEST"');
  });

  it('answers 500 to a listener that throws or rejects, logs it, and keeps serving', async () => {
    for (const path of ['/throw', '/reject']) {
      const answer = await raw(
        port,
        `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 500 /);
    }
    expect(logged).toEqual(['request failed', 'request failed']);
    expect(await (await fetch(`http://127.0.0.1:${port}/fine`)).text()).toBe('ok');
  });
});

describe('decodeUtf8', () => {
  it('decodes UTF-8 and refuses bytes that are not, instead of reading U+FFFD', () => {
    expect(decodeUtf8(Buffer.from('héllo ✓'))).toBe('héllo ✓');
    expect(() => decodeUtf8(Buffer.from([0x61, 0xe0, 0x80]))).toThrow(
      expect.objectContaining({ status: 400, code: 'PARSE_ERROR' }),
    );
    expect(() => decodeUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toThrow(HttpError);
  });
});

describe('answerClientErrors', () => {
  it('bounds slow clients on every server it guards', () => {
    const server = answerClientErrors(createServer());
    expect([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout]).toEqual([
      10_000, 30_000, 5_000,
    ]);
  });
});
