import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { freePort } from '@taskflow/api/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knownCases, randomCases } from './helpers/fuzz-cases';
import { inBatches, sendRaw } from './helpers/raw-http';
import {
  freePorts,
  isAlive,
  type Ports,
  ROOT,
  startTaskFlow,
  type TaskFlowRun,
} from './helpers/stack';

// FUZZ_SEED=n reproduces a run; every failure names its case and seed.
const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const RANDOM_CASES = 150;
const SERVICES = ['api', 'auth', 'web'] as const;
const PATHS = ['/', '/api/tasks/', '/trpc/tasks.get', '/docs/', '/api/auth/', '/api/agents/'];

describe('TaskFlow as `pnpm start` runs it', () => {
  let ports: Ports;
  let run: TaskFlowRun;
  let token = '';
  let cookie = '';
  const url = (service: keyof Ports) => `http://127.0.0.1:${ports[service]}`;

  async function healthy(service: keyof Ports): Promise<number> {
    return (await fetch(`${url(service)}${service === 'web' ? '/' : '/health'}`)).status;
  }

  /** A task created and read back with a real token from the real identity service. */
  async function roundTrip(title: string): Promise<string[]> {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${url('api')}/api/tasks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ title }),
    });
    expect(created.status).toBe(201);
    const list = await fetch(`${url('api')}/api/tasks`, { headers });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { items?: { title: string }[] } | { title: string }[];
    return (Array.isArray(body) ? body : (body.items ?? [])).map((t) => t.title);
  }

  beforeAll(async () => {
    ports = await freePorts();
    run = startTaskFlow({ ports });
    await run.waitForOutput(/TaskFlow is running/);
    const signUp = await fetch(`${url('auth')}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: `http://localhost:${ports.web}` },
      body: JSON.stringify({
        email: 'fuzz@example.com',
        password: 'change-me-please',
        name: 'Fuzz',
      }),
    });
    expect(signUp.status).toBe(200);
    cookie = signUp.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const minted = await fetch(`${url('auth')}/api/auth/token`, { headers: { cookie } });
    token = ((await minted.json()) as { token: string }).token;
    expect(await roundTrip('Before the fuzz')).toEqual(['Before the fuzz']);
  }, 240_000);

  afterAll(async () => {
    await run?.stop();
  });

  it.each(SERVICES)(
    '%s answers a few hundred malformed and random requests with 4xx or a close, never 5xx, and does not die',
    async (service) => {
      const pid = run.pidOf(service);
      const cases = [
        ...knownCases(PATHS),
        ...randomCases(SEED + SERVICES.indexOf(service), RANDOM_CASES),
      ];
      const answers = await inBatches(cases, 16, (raw) => sendRaw(ports[service], raw));
      const wrong = cases.flatMap((raw, i) => {
        const answer = answers[i];
        if (!answer) return [];
        if (answer.hung) return [`${raw.name}: neither answered nor closed`];
        const bad = answer.statuses.filter((s) => s >= 500);
        return bad.length ? [`${raw.name}: ${answer.text.slice(0, 300)}`] : [];
      });
      expect(cases.length).toBeGreaterThan(250);
      // Most get a real answer (a few, like CONNECT, only a close): the fuzz reached the server.
      const answered = answers.filter((answer) => answer.statuses.length > 0);
      expect(answered.length).toBeGreaterThan(cases.length * 0.8);
      expect(wrong).toEqual([]);
      // Still the same process: it neither died nor was restarted behind our back.
      expect(isAlive(pid)).toBe(true);
      expect(run.pidOf(service)).toBe(pid);
      expect(run.output()).not.toMatch(/stopped unexpectedly/);
      expect(await healthy(service)).toBe(200);
    },
    120_000,
  );

  it.each(SERVICES)(
    '%s answers an undecodable path with 400 in the JSON error shape',
    async (service) => {
      for (const path of ['/api/tasks/%E0', '/%C0%80?x=%E0', '//%']) {
        const answer = await sendRaw(ports[service], {
          name: path,
          bytes: Buffer.from(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`),
          mode: 'send',
        });
        expect(answer.statuses).toEqual([400]);
        const body = answer.text.slice(answer.text.indexOf('{'), answer.text.lastIndexOf('}') + 1);
        const { request_id, ...shape } = JSON.parse(body) as Record<string, unknown>;
        expect(shape).toEqual({
          error: 'The request target is not a valid path',
          status_code: 400,
          code: 'BAD_REQUEST',
        });
        // A service on @taskflow/service names the request: the id its X-Request-Id header gives.
        if (request_id !== undefined)
          expect(answer.text.toLowerCase()).toContain(`x-request-id: ${request_id}`);
      }
    },
  );

  it('still serves on every service after the fuzz: health, a token, a task, the web proxy', async () => {
    for (const service of SERVICES) expect(await healthy(service)).toBe(200);
    expect(await roundTrip('After the fuzz')).toContain('After the fuzz');
    const session = await fetch(`${url('web')}/api/auth/get-session`, { headers: { cookie } });
    expect(session.status).toBe(200);
    const viaWeb = await fetch(`${url('web')}/api/tasks`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(viaWeb.status).toBe(200);
  });

  it('a second API process on the same PGlite directory refuses to start; the first keeps serving', async () => {
    const dataDir = join(run.dataDir, 'api');
    const second = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: join(ROOT, 'apps/api'),
      env: {
        ...run.env,
        PORT: String(await freePort()),
        PGLITE_DATA_DIR: dataDir,
        AUTH_JWKS_URL: `${url('auth')}/api/auth/jwks`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    second.stdout.on('data', (d) => {
      out += d;
    });
    second.stderr.on('data', (d) => {
      out += d;
    });
    const code = await new Promise((r) => second.once('exit', r));
    expect(code).toBe(75);
    expect(out).toContain(
      `TaskFlow API cannot start. The PGlite data directory ${dataDir} is in use by process ${run.pidOf('api')}.`,
    );
    expect(out).not.toMatch(/at .*\.ts:\d+/);
    expect(await roundTrip('After the second process')).toContain('Before the fuzz');
  });

  it('a second `pnpm start` on the same data fails at start-up with a clear message', async () => {
    const second = startTaskFlow({ ports: await freePorts(), dataDir: run.dataDir });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(
      `The PGlite data directory ${join(run.dataDir, 'auth')} is in use by process ${run.pidOf('auth')}`,
    );
    expect(second.output()).toMatch(
      /TaskFlow could not start: auth exited before it was ready \(exit 75\)/,
    );
    for (const service of SERVICES) expect(await healthy(service)).toBe(200);
  });

  it('restarts the API after kill -9 while auth and web keep serving', async () => {
    const pid = run.pidOf('api');
    const from = run.output().length;
    process.kill(pid, 'SIGKILL');
    await run.waitForOutput(/api stopped unexpectedly \(SIGKILL\); restarting in 0\.5 s/, from);
    // While the API is down (PGlite takes seconds to start), the others answer.
    expect(await healthy('auth')).toBe(200);
    expect(await healthy('web')).toBe(200);
    const [, back] = await run.waitForOutput(/\[start\] api is back \(pid (\d+)\)/, from);
    expect(Number(back)).not.toBe(pid);
    expect(Number(back)).toBe(run.pidOf('api'));
    expect(await healthy('api')).toBe(200);
    // The same data, through the same token: nothing acknowledged was lost.
    expect(await roundTrip('After the restart')).toEqual(
      expect.arrayContaining(['Before the fuzz', 'After the fuzz', 'After the restart']),
    );
  }, 120_000);

  it('backs off while a restarted service keeps failing, and brings it back once it can start', async () => {
    const pid = run.pidOf('web');
    const from = run.output().length;
    process.kill(pid, 'SIGKILL');
    await run.waitForOutput(/web stopped unexpectedly \(SIGKILL\); restarting in 0\.5 s/, from);
    // Someone else takes the web port: the restarts fail, each waiting twice as long.
    // It accepts (pnpm start's readiness probe included) and never answers.
    const squatter = createServer((socket) => {
      socket.on('error', () => {});
      held.push(socket);
    });
    const held: Socket[] = [];
    await new Promise<void>((r) => squatter.listen(ports.web, '127.0.0.1', r));
    try {
      await run.waitForOutput(
        /web stopped unexpectedly \(exit 1\); restarting in 1 s \(crash 2/,
        from,
      );
      await run.waitForOutput(
        /web stopped unexpectedly \(exit 1\); restarting in 2 s \(crash 3/,
        from,
      );
      expect(await healthy('api')).toBe(200);
    } finally {
      const closed = new Promise((r) => squatter.close(r));
      for (const socket of held) socket.destroy();
      await closed;
    }
    const [, back] = await run.waitForOutput(/\[start\] web is back \(pid (\d+)\)/, from);
    expect(Number(back)).toBe(run.pidOf('web'));
    expect(await healthy('web')).toBe(200);
  }, 60_000);

  it('stops every service and exits 0 on SIGTERM', async () => {
    const pids = SERVICES.map((service) => run.pidOf(service));
    expect(await run.stop()).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(run.output().match(/"msg":"stopped"/g)?.length).toBe(3);
  });
});
