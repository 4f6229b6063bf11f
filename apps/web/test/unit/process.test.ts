import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPILED_MAIN, compileServer } from '../support/compiled';
import { DIST_DIR, ensureBuilt, WEB_DIR } from '../support/ensure-built';
import { startUpstream } from '../support/in-process';

/** A port nobody holds right now, from the range this machine's tests may use. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Running {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: () => string;
}

function run(env: Record<string, string>): Running {
  const child = spawn(process.execPath, [COMPILED_MAIN], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const lines: Record<string, unknown>[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk;
    lines.length = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('{')) lines.push(JSON.parse(line));
    }
  });
  return { child, lines, stderr: () => text };
}

describe('the compiled web server as a process', () => {
  let api: Awaited<ReturnType<typeof startUpstream>>;
  let web: Running;
  let base: string;

  beforeAll(async () => {
    await ensureBuilt();
    compileServer();
    api = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ xff: req.headers['x-forwarded-for'], id: req.headers['x-request-id'] }),
      );
    });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    web = run({
      WEB_PORT: String(port),
      HOST: '127.0.0.1',
      API_INTERNAL_URL: api.url,
      AUTH_INTERNAL_URL: api.url,
      METRICS: 'on',
      METRICS_TOKEN: 'a-metrics-token-for-tests',
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`web did not start:\n${web.stderr()}`)),
        15_000,
      );
      web.child.stderr?.on('data', () => {
        if (!web.lines.some((l) => l.msg === 'TaskFlow web listening')) return;
        clearTimeout(timer);
        resolve();
      });
      web.child.once('exit', () => reject(new Error(`web exited:\n${web.stderr()}`)));
    });
  }, 120_000);
  afterAll(async () => {
    if (web?.child.exitCode === null) {
      web.child.kill('SIGKILL');
      await once(web.child, 'exit');
    }
    await api?.close();
  });

  it('is plain JavaScript importing only Node and the runtime dependencies: no Vite, no tsx', () => {
    const code = readFileSync(COMPILED_MAIN, 'utf8');
    const pkg = JSON.parse(readFileSync(join(WEB_DIR, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const imported = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1] ?? '');
    const packages = imported
      .filter((name) => !name.startsWith('node:'))
      .map((name) =>
        name
          .split('/')
          .slice(0, name.startsWith('@') ? 2 : 1)
          .join('/'),
      );
    expect(packages).toContain('fastify');
    for (const name of packages) expect(Object.keys(pkg.dependencies)).toContain(name);
    expect(packages.filter((name) => /^(vite|tsx|@taskflow\/)/.test(name))).toEqual([]);
    expect(code).not.toMatch(/from "vite"|import\("vite"\)/);
  });

  it('writes one JSON access line per request on stderr, under the request id', async () => {
    const proxied = await fetch(`${base}/trpc/tasks.list`, {
      headers: { 'x-request-id': 'process-proxied-1', 'x-forwarded-for': '203.0.113.9' },
    });
    expect(proxied.headers.get('x-request-id')).toBe('process-proxied-1');
    expect(await proxied.json()).toEqual({ xff: '127.0.0.1', id: 'process-proxied-1' });
    const page = await fetch(`${base}/board`, { headers: { 'x-request-id': 'process-page-1' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');

    await expect
      .poll(() =>
        web.lines.filter((l) => l.msg === 'request' && String(l.req_id).startsWith('process-')),
      )
      .toEqual([
        expect.objectContaining({
          level: 'info',
          service: 'web',
          req_id: 'process-proxied-1',
          method: 'GET',
          route: '/trpc/*',
          status: 200,
          principal: null,
          duration_ms: expect.any(Number),
          time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        }),
        expect.objectContaining({ req_id: 'process-page-1', route: '/*', status: 200 }),
      ]);
  });

  it('serves a bundle that names no source map, and no map', async () => {
    const assets = readdirSync(join(DIST_DIR, 'assets'));
    const scripts = assets.filter((name) => name.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    // Hidden source maps: built beside the scripts, referenced by none.
    const maps = assets.filter((name) => name.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const name of scripts) {
      expect(readFileSync(join(DIST_DIR, 'assets', name), 'utf8')).not.toContain(
        'sourceMappingURL',
      );
    }
    const script = await fetch(`${base}/assets/${scripts[0]}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('sourcemap')).toBeNull();
    // Read to the end: an unread body keeps the connection busy, and shutdown waits for it.
    await script.arrayBuffer();
    const map = await fetch(`${base}/assets/${maps[0]}`);
    expect(map.status).toBe(404);
    expect(await map.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('serves /metrics behind its token, counting requests by route', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const res = await fetch(`${base}/metrics`, {
      headers: { authorization: 'Bearer a-metrics-token-for-tests' },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(
      /^http_requests_total\{[^}]*method="GET"[^}]*route="\/trpc\/\*"[^}]*status="200"[^}]*\} [1-9]/m,
    );
  });

  it('stops cleanly on SIGTERM', async () => {
    web.child.kill('SIGTERM');
    // 'close', not 'exit': by then stderr has been read to its end.
    const [code] = await once(web.child, 'close');
    expect(code).toBe(0);
    // Not the 'stopped' line: runService exits right after an asynchronous flush, which may lose it.
    expect(web.lines).toContainEqual(
      expect.objectContaining({ msg: 'shutting down', signal: 'SIGTERM', service: 'web' }),
    );
  });

  it('refuses a bad configuration with exit code 78, naming each problem', async () => {
    const bad = run({
      WEB_PORT: 'eighty',
      API_INTERNAL_URL: 'ftp://x',
      WEB_UPSTREAM_TIMEOUT_MS: '0',
      METRICS: 'on',
    });
    const [code] = await once(bad.child, 'close');
    expect(code).toBe(78);
    expect(bad.stderr()).toContain('TaskFlow web cannot start');
    expect(bad.stderr()).toContain('WEB_PORT');
    expect(bad.stderr()).toContain('API_INTERNAL_URL');
    expect(bad.stderr()).toContain('WEB_UPSTREAM_TIMEOUT_MS');
  });
});
