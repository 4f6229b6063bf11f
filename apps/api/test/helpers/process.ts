import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { TestIssuer } from './jwks';
import { freePort } from './net';

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>;
}

/**
 * Runs a service's src/main.ts through tsx (or, with `args`, whatever node is
 * given, such as the compiled `dist/main.mjs`), minus pnpm: one process, so
 * signals reach the service itself.
 */
export function startService(
  cwd: string,
  env: Record<string, string>,
  args: string[] = ['--import', 'tsx', 'src/main.ts'],
): ServiceProcess {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

/** Waits until GET `healthUrl` answers 200; fails early if the process exits. */
export async function waitForHealth(
  healthUrl: string,
  service: ServiceProcess,
  timeoutMs = 45_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null)
      throw new Error(`process exited early:\n${service.output()}`);
    try {
      if ((await fetch(healthUrl)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${healthUrl} did not answer 200:\n${service.output()}`);
}

const API_DIR = resolve(import.meta.dirname, '../..');

/** The API (apps/api) as a process (one, without a cluster's primary, unless env says API_WORKERS). */
export function startApi(env: Record<string, string>): ServiceProcess {
  // One process unless a test asks for a cluster: signals and exit codes stay the service's own.
  return startService(API_DIR, { API_WORKERS: '1', ...env });
}

/**
 * The API as a process on a port of its own, trusting `issuer`'s tokens, on the database
 * at `databaseUrl` (migrating it if needed); resolves once it answers /health.
 */
export async function startApiFor(
  issuer: TestIssuer,
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<{ api: ServiceProcess; url: string }> {
  const port = await freePort();
  const api = startApi({
    AUTH_JWKS_URL: issuer.url,
    AUTH_ISSUER: issuer.issuer,
    AUTH_AUDIENCE: issuer.audience,
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    RATE_LIMIT_PER_MINUTE: '0',
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(`${url}/health`, api);
  } catch (error) {
    api.child.kill('SIGKILL');
    throw error;
  }
  return { api, url };
}

/**
 * `count` API processes on one database, as behind a load balancer. Started one at a time:
 * the first migrates, the others find it done.
 */
export async function startApisFor(
  issuer: TestIssuer,
  databaseUrl: string,
  count: number,
  env: Record<string, string> = {},
): Promise<{ apis: ServiceProcess[]; urls: string[] }> {
  const apis: ServiceProcess[] = [];
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const { api, url } = await startApiFor(issuer, databaseUrl, env);
    apis.push(api);
    urls.push(url);
  }
  return { apis, urls };
}

/** SIGTERM to each process; resolves with their exit codes once all have stopped. */
export async function stopApis(apis: ServiceProcess[]): Promise<(number | null)[]> {
  for (const api of apis) api.child.kill('SIGTERM');
  return Promise.all(apis.map((api) => api.exited));
}
