import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebServer } from '../../server/serve';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the web server in front of the API and the identity service', () => {
  // A real upstream that answers with the headers it received.
  const upstream = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.headers));
  });
  let web: Server;
  let webUrl: string;
  const distDir = mkdtempSync(join(tmpdir(), 'taskflow-web-dist-'));

  beforeAll(async () => {
    writeFileSync(join(distDir, 'index.html'), '<div id="root"></div>');
    const upstreamUrl = await listen(upstream);
    web = createWebServer({ distDir, apiUrl: upstreamUrl, authUrl: upstreamUrl });
    webUrl = await listen(web);
  });
  afterAll(async () => {
    await new Promise((r) => web.close(r));
    await new Promise((r) => upstream.close(r));
    rmSync(distDir, { recursive: true, force: true });
  });

  it.each(['/api/auth/sign-in/email', '/trpc/tasks.list'])(
    'tells %s the real client address, not the one the client claims',
    async (path) => {
      const res = await fetch(`${webUrl}${path}`, {
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
      const seen = (await res.json()) as IncomingHttpHeaders;
      expect(seen['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen['x-forwarded-proto']).toBe('http');
      expect(seen['x-forwarded-host']).toBe(new URL(webUrl).host);
      expect(seen.forwarded).toBeUndefined();
      expect(seen['x-real-ip']).toBeUndefined();
      expect(seen['x-forwarded-port']).toBeUndefined();
      expect(seen['x-custom']).toBe('kept');
    },
  );

  it('answers a path that cannot be decoded with 400, and keeps serving', async () => {
    const { port } = web.address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(port, '127.0.0.1');
      socket.on('data', (d) => {
        text += d;
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
      socket.end('GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"status_code":400,"code":"BAD_REQUEST"');
    expect((await fetch(`${webUrl}/`)).status).toBe(200);
  });
});
