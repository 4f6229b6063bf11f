import type { RawCase } from './raw-http';

/** mulberry32: small, seeded, good enough to pick bytes; a failure names its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const latin1 = (text: string) => Buffer.from(text, 'latin1');
const request = (line: string, headers: string[] = ['Host: localhost'], body = '') =>
  latin1(`${line}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`);

/** Requests every server gets: each one broke (or could break) a Node HTTP server somewhere. */
export function knownCases(paths: string[]): RawCase[] {
  const cases: RawCase[] = [];
  const add = (name: string, bytes: Buffer, mode: RawCase['mode'] = 'send') =>
    cases.push({ name, bytes, mode });
  for (const base of paths) {
    for (const tail of [
      '%E0',
      '%',
      '%zz',
      '%C0%80',
      '%ED%A0%80',
      '%00',
      '%FF%FE',
      '[',
      '..%2f..%2f',
    ]) {
      add(`GET ${base}${tail}`, request(`GET ${base}${tail} HTTP/1.1`));
      add(`GET ${base}?q=${tail}`, request(`GET ${base}?${tail}=${tail}&input=${tail} HTTP/1.1`));
    }
  }
  add('//[', request('GET //[ HTTP/1.1'));
  add('//[ on a route', request('GET //[/api/tasks HTTP/1.1'));
  add('//host', request('GET //evil.example/ HTTP/1.1'));
  add('asterisk', request('OPTIONS * HTTP/1.1'));
  add('absolute-form', request('GET http://evil.example/api/tasks HTTP/1.1'));
  add('absolute-form, bad', request('GET http://[/ HTTP/1.1'));
  add('authority-form', request('CONNECT evil.example:443 HTTP/1.1'));
  add('no leading slash', request('GET api/tasks HTTP/1.1'));
  add('overlong request line', request(`GET /${'a'.repeat(70_000)} HTTP/1.1`));
  add('overlong header', request('GET / HTTP/1.1', ['Host: x', `X-Long: ${'b'.repeat(70_000)}`]));
  add(
    'many headers',
    request(
      'GET / HTTP/1.1',
      Array.from({ length: 3000 }, (_, i) => `X-${i}: ${i}`),
    ),
  );
  add('space in header name', request('GET / HTTP/1.1', ['Host: x', 'Bad Header: x']));
  add('empty header name', request('GET / HTTP/1.1', ['Host: x', ': x']));
  add('NUL in header name', request('GET / HTTP/1.1', ['Host: x', 'X\0Y: z']));
  add('NUL in header value', request('GET / HTTP/1.1', ['Host: x', 'X-Y: a\0b']));
  add('NUL in path', request('GET /\0 HTTP/1.1'));
  add('non-UTF-8 path', request('GET /\xff\xfe\xc3\x28 HTTP/1.1'));
  add('non-UTF-8 header', request('GET / HTTP/1.1', ['Host: x', 'Authorization: Bearer \xff\xfe']));
  add(
    'non-UTF-8 cookie',
    request('GET /api/auth/get-session HTTP/1.1', [
      'Host: x',
      'Cookie: a=\xff\xfe; better-auth.session_token=\xc3\x28',
    ]),
  );
  add(
    'garbage bearer',
    request('GET /api/tasks HTTP/1.1', ['Host: x', `Authorization: Bearer ${'x.'.repeat(4000)}`]),
  );
  add(
    'bearer, bad base64',
    request('GET /trpc/tasks.list HTTP/1.1', ['Host: x', 'Authorization: Bearer e30.%%%.@@@']),
  );
  add('bad host', request('GET / HTTP/1.1', ['Host: [']));
  add('host with spaces', request('GET /trpc/tasks.list HTTP/1.1', ['Host: a b c']));
  add('two hosts', request('GET / HTTP/1.1', ['Host: a', 'Host: b']));
  add('no host', request('GET / HTTP/1.1', []));
  add('bad host on tRPC', request('GET /trpc/tasks.list HTTP/1.1', ['Host: [::1']));
  add('bad host on auth', request('GET /api/auth/get-session HTTP/1.1', ['Host: [::1']));
  add('garbage method', request('FOO / HTTP/1.1'));
  add('control byte in method', request('G\x01T / HTTP/1.1'));
  add('lowercase method', request('get / HTTP/1.1'));
  add('HTTP/0.9', latin1('GET /\r\n'));
  add('HTTP/9.9', request('GET / HTTP/9.9'));
  add('HTTP/2 preface', latin1('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
  add('TLS hello', Buffer.from('16030100a5010000a103030000000000000000', 'hex'));
  add('bare LF', latin1('GET / HTTP/1.1\nHost: x\n\n'));
  add(
    'absurd content-length',
    request('POST /trpc/tasks.create HTTP/1.1', [
      'Host: x',
      'Content-Length: 99999999999999999999999',
    ]),
  );
  add(
    'negative content-length',
    request('POST /api/tasks HTTP/1.1', ['Host: x', 'Content-Length: -1']),
  );
  add(
    'content-length not a number',
    request('POST /api/tasks HTTP/1.1', ['Host: x', 'Content-Length: abc']),
  );
  add(
    'two content-lengths',
    request(
      'POST /api/tasks HTTP/1.1',
      ['Host: x', 'Content-Length: 1', 'Content-Length: 2'],
      'ab',
    ),
  );
  add(
    'content-length and chunked',
    request(
      'POST /api/tasks HTTP/1.1',
      ['Host: x', 'Content-Length: 3', 'Transfer-Encoding: chunked'],
      '0\r\n\r\n',
    ),
  );
  add(
    'broken chunk size',
    request(
      'POST /trpc/tasks.create HTTP/1.1',
      ['Host: x', 'Transfer-Encoding: chunked'],
      'zz\r\nabc\r\n',
    ),
  );
  add(
    'chunk longer than said',
    request(
      'POST /api/auth/sign-in/email HTTP/1.1',
      ['Host: x', 'Transfer-Encoding: chunked', 'Content-Type: application/json'],
      '2\r\n{"email":1}\r\n0\r\n\r\n',
    ),
  );
  add(
    'huge chunk size',
    request(
      'POST /api/tasks HTTP/1.1',
      ['Host: x', 'Transfer-Encoding: chunked'],
      'ffffffffffffffffff\r\n',
    ),
  );
  add(
    'unknown transfer-encoding',
    request(
      'POST /api/tasks HTTP/1.1',
      ['Host: x', 'Transfer-Encoding: gzip, chunked, zz'],
      '0\r\n\r\n',
    ),
  );
  add(
    'body shorter than said',
    request(
      'POST /api/auth/sign-up/email HTTP/1.1',
      ['Host: x', 'Content-Type: application/json', 'Content-Length: 500'],
      '{"email":',
    ),
  );
  add(
    'aborted mid-body',
    request(
      'POST /api/agents HTTP/1.1',
      ['Host: x', 'Content-Type: application/json', 'Content-Length: 500'],
      '{"name":',
    ),
    'abort',
  );
  add(
    'aborted mid-body (tRPC)',
    request(
      'POST /trpc/tasks.create HTTP/1.1',
      ['Host: x', 'Content-Type: application/json', 'Content-Length: 500'],
      '{"title":',
    ),
    'abort',
  );
  add('aborted mid-headers', latin1('GET /api/tasks HTTP/1.1\r\nHost: x\r\nAuthoriza'), 'abort');
  add(
    'bad JSON to auth',
    request(
      'POST /api/auth/sign-in/email HTTP/1.1',
      ['Host: x', 'Content-Type: application/json', 'Content-Length: 9'],
      '{"email":',
    ),
  );
  add(
    'JSON NUL to auth',
    request(
      'POST /api/auth/sign-up/email HTTP/1.1',
      ['Host: x', 'Content-Type: application/json', 'Content-Length: 48'],
      '{"email":"a\\u0000@x.y","password":"p","name":1}',
    ),
  );
  add(
    'bad JSON to tRPC',
    request(
      'POST /trpc/tasks.create HTTP/1.1',
      ['Host: x', 'Content-Type: application/json', 'Content-Length: 9'],
      '{"title":',
    ),
  );
  add(
    'tRPC batch, bad input',
    request('GET /trpc/tasks.list,tasks.get?batch=1&input=%7B%22 HTTP/1.1'),
  );
  add(
    'expect 100-continue, never sent',
    request('POST /api/tasks HTTP/1.1', ['Host: x', 'Expect: 100-continue', 'Content-Length: 10']),
  );
  add(
    'unknown expectation',
    request('POST /api/tasks HTTP/1.1', ['Host: x', 'Expect: teapot', 'Content-Length: 0']),
  );
  add(
    'upgrade to websocket',
    request('GET /trpc HTTP/1.1', ['Host: x', 'Connection: Upgrade', 'Upgrade: websocket']),
  );
  add(
    'pipelined, second broken',
    latin1(
      'GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /%E0 HTTP/1.1\r\nHost: x\r\n\r\nBROKEN\r\n\r\n',
    ),
  );
  add('only CRLFs', latin1('\r\n\r\n\r\n\r\n'));
  add('random binary', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 73 + 11) % 256)));
  return cases;
}

const METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'FOO',
  'G ET',
  'GET\t',
  '',
];
const PIECES = [
  '/',
  '//',
  '%',
  '%E0',
  '%2F',
  '%25',
  '%zz',
  '%C3%28',
  '[',
  ']',
  '..',
  '.',
  '\\',
  '?',
  '&',
  '=',
  '#',
  '~',
  '@',
  ':',
  ';',
  ',',
  '*',
  '"',
  "'",
  '<',
  '>',
  '{',
  '}',
  '|',
  '^',
  '`',
  '\0',
  '\x7f',
  '\xff',
  '\xe0\xa4',
  ' ',
  '\t',
  'é',
  'tasks',
  '1',
  '-1',
  '99999999999999999999',
  'batch=1',
  'input=',
  '%7B%22',
];
const PREFIXES = [
  '/',
  '/api/tasks/',
  '/api/tasks?',
  '/trpc/',
  '/trpc/tasks.get?input=',
  '/api/auth/',
  '/api/agents/',
  '/docs/',
  '/openapi.json?',
  '/health/',
  '/assets/',
  '',
];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/1.1', 'HTTP/2', 'HTTP/1.1 x', 'http/1.1', ''];
const HEADER_NAMES = [
  'Host',
  'Content-Length',
  'Transfer-Encoding',
  'Authorization',
  'Cookie',
  'Content-Type',
  'Origin',
  'If-Match',
  'Idempotency-Key',
  'Last-Event-ID',
  'X-Forwarded-For',
  'Accept',
  'Accept-Encoding',
  'Range',
  'Connection',
  'Upgrade',
  'Expect',
  'Bad Name',
  '',
  'X\0',
  'Ü',
];
const HEADER_VALUES = [
  '',
  'x',
  '0',
  '-1',
  '1e99',
  'chunked',
  'Bearer ',
  'Bearer x.y.z',
  'application/json',
  'null',
  '\xff\xfe',
  '%E0',
  'W/"1"',
  '*',
  'bytes=-1',
  'close',
  'keep-alive',
  'websocket',
  'a'.repeat(9000),
  '\0',
  '\x7f',
];

/** Random request lines, paths, queries, headers and bodies, reproducible from `seed`. */
export function randomCases(seed: number, count: number): RawCase[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const cases: RawCase[] = [];
  for (let i = 0; i < count; i++) {
    let path = pick(PREFIXES);
    const pieces = Math.floor(random() * 8);
    for (let p = 0; p < pieces; p++) path += pick(PIECES);
    const headers = Array.from(
      { length: Math.floor(random() * 5) },
      () => `${pick(HEADER_NAMES)}: ${pick(HEADER_VALUES)}`,
    );
    if (random() < 0.8) headers.unshift('Host: localhost');
    const body =
      random() < 0.3
        ? Array.from({ length: Math.floor(random() * 64) }, () => pick(PIECES)).join('')
        : '';
    const line = `${pick(METHODS)} ${path} ${pick(VERSIONS)}`;
    cases.push({
      name: `random #${i} (seed ${seed}): ${JSON.stringify(line.slice(0, 120))}`,
      bytes: request(line, headers, body),
      mode: random() < 0.1 ? 'abort' : 'send',
    });
  }
  return cases;
}
