import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningWeb, startUpstream, startWeb } from '../support/in-process';

describe('a client that gives up', () => {
  let web: RunningWeb;
  let slow: Awaited<ReturnType<typeof startUpstream>>;
  const arrived: string[] = [];
  const closed: string[] = [];
  const distDir = mkdtempSync(join(tmpdir(), 'taskflow-web-dist-'));

  beforeAll(async () => {
    writeFileSync(join(distDir, 'index.html'), '<div id="root"></div>');
    // Never answers: only the proxy giving up ends these requests.
    slow = await startUpstream((req, res) => {
      const id = String(req.headers['x-request-id']);
      arrived.push(id);
      res.on('close', () => closed.push(id));
    });
    web = await startWeb({ distDir, apiUrl: slow.url, authUrl: slow.url });
  });
  afterAll(async () => {
    await web.app.close();
    await slow.close();
    rmSync(distDir, { recursive: true, force: true });
  });

  it('tears down the upstream request when the client aborts while waiting', async () => {
    const controller = new AbortController();
    const pending = fetch(`${web.url}/trpc/tasks.list`, {
      headers: { 'x-request-id': 'abort-1' },
      signal: controller.signal,
    });
    await expect.poll(() => arrived).toContain('abort-1');
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect.poll(() => closed, { timeout: 3_000 }).toContain('abort-1');
    // One access line says 499; the abort is no warning with a stack.
    await expect
      .poll(() => web.lines.filter((l) => l.req_id === 'abort-1' && l.msg === 'request'))
      .toEqual([expect.objectContaining({ status: 499 })]);
    // Give reply-from the moment it would take to log "response errored".
    await new Promise((resolve) => setTimeout(resolve, 200));
    const noisy = web.lines.filter(
      (l) => l.req_id === 'abort-1' && (l.level === 'warn' || l.level === 'error'),
    );
    expect(noisy).toEqual([]);
  });
});
