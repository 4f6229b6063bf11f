import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(import.meta.dirname, '../../..');

export interface ApiSettings {
  databaseUrl: string;
  jwksUrl: string;
  issuer: string;
  audience: string;
  port?: number;
}

export interface RunningApi {
  baseUrl: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/**
 * The API as production runs it: the compiled apps/api/dist/main.mjs (built first, cached by
 * turbo), NODE_ENV=production, no rate limit, warnings only in the log.
 */
export async function startApi(settings: ApiSettings): Promise<RunningApi> {
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts/build.mjs'), '@taskflow/api'], {
    cwd: ROOT,
  });
  const port = settings.port ?? (await freePort());
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'apps/api/dist/main.mjs')], {
    cwd: join(ROOT, 'apps/api'),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: settings.databaseUrl,
      AUTH_JWKS_URL: settings.jwksUrl,
      AUTH_ISSUER: settings.issuer,
      AUTH_AUDIENCE: settings.audience,
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      // change_feed opens its streams with one token (the owner's): the limit of 5 per
      // caller would refuse the sixth. The API allows at most 1000.
      EVENTS_MAX_STREAMS_PER_PRINCIPAL: '1000',
      // webhooks delivers to a receiver on loopback.
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      // Unset: one worker per core, as production runs; API_WORKERS=1 measures one process.
      ...(process.env.API_WORKERS && { API_WORKERS: process.env.API_WORKERS }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output = (output + chunk).slice(-20_000);
  });
  child.stderr?.on('data', (chunk) => {
    output = (output + chunk).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited while starting:\n${output}`);
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`the API did not answer /health within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    baseUrl,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      if (output.trim()) process.stderr.write(`bench: the API logged:\n${output.slice(-4000)}\n`);
    },
  };
}
