import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmdlineOf, cwdOf, descendantsOf } from './helpers/procfs';
import { freePorts, isAlive, type Ports, ROOT, stackEnv } from './helpers/stack';

describe('`pnpm dev`: every service in watch mode, the web app on Vite, one command', () => {
  let ports: Ports;
  let dataDir: string;
  let child: ReturnType<typeof spawn>;
  let out = '';
  let exited: Promise<number | null>;
  const url = (service: keyof Ports, path: string) => `http://127.0.0.1:${ports[service]}${path}`;

  /** Resolves once pnpm dev has printed `pattern`; fails if it exits first. */
  async function waitFor(pattern: RegExp, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (pattern.test(out)) return;
      if (child.exitCode !== null) throw new Error(`pnpm dev exited ${child.exitCode}:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no ${pattern} in the output of pnpm dev:\n${out.slice(-4000)}`);
  }

  beforeAll(async () => {
    ports = await freePorts();
    dataDir = mkdtempSync(join(tmpdir(), 'taskflow-dev-'));
    // Its own process group, like a terminal's: Ctrl-C reaches pnpm and everything below it.
    child = spawn('pnpm', ['dev'], {
      cwd: ROOT,
      env: stackEnv(ports, dataDir),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    exited = new Promise((r) => child.once('exit', (code) => r(code)));
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      out += d;
    });
    await waitFor(/TaskFlow is running in development mode/);
  }, 180_000);

  afterAll(() => {
    // Whatever a failed test left: the whole group, as a terminal would on hang-up.
    try {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the API, the identity service and the web app (through Vite) on the ports it was given', async () => {
    expect((await fetch(url('api', '/health'))).status).toBe(200);
    expect((await fetch(url('auth', '/health'))).status).toBe(200);
    const page = await fetch(url('web', '/'));
    expect(page.status).toBe(200);
    // Vite's dev server, with its hot-reload client, not a built bundle.
    expect(await page.text()).toContain('/@vite/client');
    // Its proxy: /api to the API (no token: 401 in the API's shape), /api/auth to the identity service.
    const viaWeb = await fetch(url('web', '/api/tasks'));
    expect(viaWeb.status).toBe(401);
    expect(await viaWeb.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await fetch(url('web', '/api/auth/get-session'))).status).toBe(200);
  });

  it('runs the API and the identity service from their sources under node --watch', () => {
    const tree = descendantsOf(child.pid ?? 0).map((pid) => cmdlineOf(pid).join(' '));
    expect(tree.filter((cmd) => cmd.endsWith('--watch --import tsx src/main.ts'))).toHaveLength(2);
    expect(tree.some((cmd) => cmd.includes('vite.js --port'))).toBe(true);
  });

  it('restarts the API when one of its files changes', async () => {
    // The API under its watcher: node --watch runs it as a child of its own.
    const apiDir = join(ROOT, 'apps/api');
    const apiProcess = () =>
      descendantsOf(child.pid ?? 0).find(
        (pid) =>
          cwdOf(pid) === apiDir &&
          cmdlineOf(pid).join(' ').endsWith('--import tsx src/main.ts') &&
          !cmdlineOf(pid).includes('--watch'),
      );
    const before = apiProcess();
    expect(before).toBeGreaterThan(0);
    const now = new Date();
    utimesSync(join(apiDir, 'src/main.ts'), now, now);
    const deadline = Date.now() + 60_000;
    let after = apiProcess();
    while (Date.now() < deadline) {
      after = apiProcess();
      if (
        after &&
        after !== before &&
        (await fetch(url('api', '/health')).catch(() => undefined))?.status === 200
      )
        break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(after).not.toBe(before);
    expect(isAlive(before ?? 0)).toBe(false);
    expect((await fetch(url('api', '/health'))).status).toBe(200);
  }, 90_000);

  it('stops with Ctrl-C, leaving no process behind', async () => {
    const pids = descendantsOf(child.pid ?? 0);
    expect(pids.length).toBeGreaterThanOrEqual(6); // start.mjs, 2 watchers and their services, Vite
    const from = out.length;
    process.kill(-(child.pid ?? 0), 'SIGINT');
    // pnpm itself ends at once on Ctrl-C; what matters is everything it started.
    await exited;
    const deadline = Date.now() + 20_000;
    while (pids.some(isAlive) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(isAlive)).toEqual([]);
    // The API and the identity service shut down cleanly, not killed.
    expect(out.slice(from).match(/"msg":"stopped"/g)).toHaveLength(2);
    for (const port of Object.values(ports))
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  }, 30_000);
});
