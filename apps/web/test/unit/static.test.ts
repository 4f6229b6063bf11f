import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningWeb, startUpstream, startWeb } from '../support/in-process';

/** A GET whose body arrives as sent (fetch would decompress it and hide the encoding). */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('the built app as the web server serves it', () => {
  const distDir = mkdtempSync(join(tmpdir(), 'taskflow-web-dist-'));
  const INDEX = `<!doctype html><div id="root"></div><script src="/assets/index-Ab12Cd34.js"></script>`;
  const SCRIPT = `console.log(${JSON.stringify('TaskFlow '.repeat(2000))});`;
  let web: RunningWeb;
  let api: Awaited<ReturnType<typeof startUpstream>>;

  beforeAll(async () => {
    writeFileSync(join(distDir, 'index.html'), INDEX);
    mkdirSync(join(distDir, 'assets'));
    writeFileSync(join(distDir, 'assets', 'index-Ab12Cd34.js'), SCRIPT);
    writeFileSync(join(distDir, 'assets', 'index-Ab12Cd34.js.map'), '{"version":3}');
    writeFileSync(join(distDir, 'app.js.map'), '{"version":3}');
    writeFileSync(join(distDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(distDir, '.env'), 'SECRET=1');
    api = await startUpstream((req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ from: 'api', url: req.url }));
    });
    web = await startWeb({ distDir, apiUrl: api.url, authUrl: api.url });
  });
  afterAll(async () => {
    await web.app.close();
    await api.close();
    rmSync(distDir, { recursive: true, force: true });
  });

  it('sends a hashed asset as immutable for a year, gzip or brotli as asked', async () => {
    const url = `${web.url}/assets/index-Ab12Cd34.js`;
    const gzip = await get(url, { 'accept-encoding': 'gzip' });
    expect(gzip.status).toBe(200);
    expect(gzip.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.headers['content-type']).toMatch(/javascript/);
    expect(gunzipSync(gzip.body).toString()).toBe(SCRIPT);
    expect(gzip.body.length).toBeLessThan(SCRIPT.length / 10);

    const br = await get(url, { 'accept-encoding': 'br, gzip' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).toString()).toBe(SCRIPT);

    const plain = await get(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(SCRIPT);
  });

  it('sends index.html to be revalidated on every load, with the security headers', async () => {
    for (const path of ['/', '/index.html']) {
      const res = await get(`${web.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('same-origin');
      expect(res.body.toString()).toBe(INDEX);
    }
    // Revalidation is cheap: the validator it sent gets a 304.
    const first = await get(`${web.url}/`);
    const again = await get(`${web.url}/`, { 'if-none-match': String(first.headers.etag) });
    expect(again.status).toBe(304);
  });

  it('answers any other page with index.html, since the app routes itself', async () => {
    for (const path of ['/board', '/projects/launch/tasks/42', '/?project=web&task=42']) {
      const res = await get(`${web.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body.toString()).toBe(INDEX);
    }
  });

  it('does not answer a missing asset, a dotfile, or an unknown /api or /trpc path with the app', async () => {
    const asset = await get(`${web.url}/assets/index-Gone0000.js`, { 'x-request-id': 'gone-1' });
    expect(asset.status).toBe(404);
    expect(JSON.parse(asset.body.toString())).toMatchObject({
      code: 'NOT_FOUND',
      status_code: 404,
      request_id: 'gone-1',
    });
    const dotfile = await get(`${web.url}/.env`);
    expect(dotfile.body.toString()).not.toContain('SECRET');
    for (const path of ['/api/nothing-here', '/trpc/nothing.here']) {
      const res = await get(`${web.url}${path}`);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body.toString())).toEqual({ from: 'api', url: path });
    }
  });

  it('does not serve source maps, which are built for debugging only', async () => {
    for (const path of ['/assets/index-Ab12Cd34.js.map', '/app.js.map']) {
      const res = await get(`${web.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body.toString())).toMatchObject({ code: 'NOT_FOUND' });
    }
    // The script itself is still served.
    expect((await get(`${web.url}/assets/index-Ab12Cd34.js`)).status).toBe(200);
  });

  it('refuses to write to a page', async () => {
    const res = await fetch(`${web.url}/board`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(await res.json()).toMatchObject({ code: 'METHOD_NOT_SUPPORTED', status_code: 405 });
  });
});
