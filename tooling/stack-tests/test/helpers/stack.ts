import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@taskflow/api/testing';

export const ROOT = resolve(import.meta.dirname, '../../../..');

export interface Ports {
  api: number;
  auth: number;
  web: number;
}

export interface TaskFlowRun {
  child: ChildProcess;
  ports: Ports;
  /** Where both PGlite databases live (PGLITE_DATA_DIR and AUTH_PGLITE_DATA_DIR). */
  dataDir: string;
  /** The environment `pnpm start` ran with, for starting a second process on the same data. */
  env: Record<string, string>;
  output(): string;
  /** Resolves with the first match of `pattern` in the output after `from` (an offset). */
  waitForOutput(pattern: RegExp, from?: number, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The pid `pnpm start` last reported for a service. */
  pidOf(service: keyof Ports): number;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export async function freePorts(): Promise<Ports> {
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freePort());
  const [api = 0, auth = 0, web = 0] = ports;
  return { api, auth, web };
}

/** A clean environment: nothing from the test runner's (DATABASE_URL, PORT, ...) leaks in. */
export function stackEnv(ports: Ports, dataDir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    API_PORT: String(ports.api),
    AUTH_PORT: String(ports.auth),
    WEB_PORT: String(ports.web),
    PGLITE_DATA_DIR: join(dataDir, 'api'),
    AUTH_PGLITE_DATA_DIR: join(dataDir, 'auth'),
    BETTER_AUTH_SECRET: 'stack-test-secret-stack-test-secret-0123',
    LOG_LEVEL: 'info',
  };
}

/** `node scripts/start.mjs` — what `pnpm start` runs — with its own ports and data. */
export function startTaskFlow(options: { ports: Ports; dataDir?: string }): TaskFlowRun {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'taskflow-stack-'));
  const env = stackEnv(options.ports, dataDir);
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    out += chunk;
    for (const check of waiters) check();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ownsDataDir = options.dataDir === undefined;

  const run: TaskFlowRun = {
    child,
    ports: options.ports,
    dataDir,
    env,
    output: () => out,
    waitForOutput: (pattern, from = 0, timeoutMs = 120_000) =>
      new Promise((resolvePromise, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern} in the output of pnpm start:\n${out.slice(-4000)}`));
        }, timeoutMs);
        const check = () => {
          const match = out.slice(from).match(pattern);
          if (match) {
            clearTimeout(timer);
            waiters.delete(check);
            resolvePromise(match);
          } else if (child.exitCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`pnpm start exited ${child.exitCode}:\n${out.slice(-4000)}`));
          }
        };
        waiters.add(check);
        child.once('exit', check);
        check();
      }),
    pidOf: (service) => {
      const all = [
        ...out.matchAll(new RegExp(`\\[start\\] ${service} started \\(pid (\\d+)\\)`, 'g')),
      ];
      const last = all.at(-1)?.[1];
      if (!last) throw new Error(`pnpm start reported no pid for ${service}`);
      return Number(last);
    },
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
  return run;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
