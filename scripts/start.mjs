// `pnpm start`: the whole product on embedded defaults — identity service, API
// and web app — built, wired together, kept running, stopped with Ctrl-C.
// `pnpm dev` (`--dev`): the same services on the same ports from their sources,
// restarted on every change (node --watch), and the web app on Vite with hot reload.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { build, ROOT as root } from './build.mjs';

const dev = process.argv.includes('--dev');
// The repository's .env, when there is one: each service gets it through Node's own
// --env-file, and this script reads it the same way for the ports and URLs. As with
// --env-file, what the environment already says wins over the file.
const envFile = join(root, '.env');
const nodeEnvArgs = existsSync(envFile) ? [`--env-file=${envFile}`] : [];
const env = {
  ...(nodeEnvArgs.length ? parseEnv(readFileSync(envFile, 'utf8')) : {}),
  ...process.env,
};
// A service's stderr is a pipe to this script, not the terminal: in development on a
// terminal, ask for the lines people read (pino-pretty) unless LOG_PRETTY says otherwise.
const devEnv =
  dev && process.stderr.isTTY && env.LOG_PRETTY === undefined ? { LOG_PRETTY: 'true' } : {};
const apiPort = Number(env.API_PORT ?? env.PORT ?? 8000);
const authPort = Number(env.AUTH_PORT ?? 3001);
const webPort = Number(env.WEB_PORT ?? 3000);
const authUrl = (env.BETTER_AUTH_URL ?? `http://localhost:${authPort}`).replace(/\/$/, '');
const apiUrl = `http://localhost:${apiPort}`;
const webUrl = `http://localhost:${webPort}`;
const audience = env.AUTH_AUDIENCE ?? 'taskflow-api';
const webOrigins = env.TRUSTED_ORIGINS ?? `${webUrl},http://127.0.0.1:${webPort}`;
const host = env.HOST ?? '127.0.0.1';

// Supervision: a service that dies is restarted, waiting 0.5 s, then twice as
// long after each crash in a row (at most 30 s); a service that stayed up for a
// minute starts again from 0.5 s. One that never becomes ready again after
// MAX_FAILED_STARTS restarts in a row, or refuses its configuration, stops TaskFlow.
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
const STABLE_MS = 60_000;
const MAX_FAILED_STARTS = 5;
const EX_CONFIG = 78;

/** name -> { spec, child, timer, crashes, failedStarts, startedAt, ready } */
const running = new Map();
let stopping = false;

const say = (line) => console.error(`[start] ${line}`);

function prefix(name, stream, target) {
  let buffer = '';
  stream.on('data', (chunk) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) target.write(`[${name}] ${line}\n`);
  });
}

function describeExit(code, signal) {
  return signal ?? `exit ${code}`;
}

function spawnService(service) {
  const { name, cwd, extraEnv, args } = service.spec;
  const child = spawn(process.execPath, [...nodeEnvArgs, ...args], {
    cwd: join(root, cwd),
    env: { ...process.env, ...devEnv, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prefix(name, child.stdout, process.stdout);
  prefix(name, child.stderr, process.stderr);
  service.child = child;
  service.ready = false;
  service.startedAt = Date.now();
  say(`${name} started (pid ${child.pid})`);
  child.on('exit', (code, signal) => onExit(service, child, code, signal));
  return child;
}

function onExit(service, child, code, signal) {
  if (stopping || service.child !== child) return;
  const { name } = service.spec;
  const how = describeExit(code, signal);
  // At boot, waitFor reports it: TaskFlow does not start half-way.
  if (!service.booted) return;
  if (code === EX_CONFIG) {
    say(`${name} refuses its configuration (${how}); stopping TaskFlow.`);
    return void stopAll(1);
  }
  if (!service.ready) service.failedStarts += 1;
  if (service.failedStarts >= MAX_FAILED_STARTS) {
    say(
      `${name} did not come back after ${service.failedStarts} restarts (${how}); stopping TaskFlow.`,
    );
    return void stopAll(1);
  }
  if (Date.now() - service.startedAt >= STABLE_MS) service.crashes = 0;
  const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** service.crashes);
  service.crashes += 1;
  say(
    `${name} stopped unexpectedly (${how}); restarting in ${delay / 1000} s (crash ${service.crashes} in a row).`,
  );
  service.timer = setTimeout(() => {
    service.timer = undefined;
    if (stopping) return;
    const next = spawnService(service);
    waitFor(name, service.spec.readyUrl, next)
      .then(() => {
        service.ready = true;
        service.failedStarts = 0;
        say(`${name} is back (pid ${next.pid}).`);
      })
      .catch((error) => {
        // An exit is reported (and the next attempt scheduled) by onExit; a
        // process that is up but never ready is ended, which does the same.
        if (next.exitCode !== null || next.signalCode !== null) return;
        say(`${name}: ${error.message}; ending it.`);
        next.kill('SIGKILL');
      });
  }, delay);
}

/** Starts a service and resolves once it answers; at boot a failure is final. */
async function start(spec) {
  const service = { spec, crashes: 0, failedStarts: 0, booted: false, ready: false };
  running.set(spec.name, service);
  const child = spawnService(service);
  await waitFor(spec.name, spec.readyUrl, child);
  service.ready = true;
  service.booted = true;
  return child;
}

async function waitFor(name, url, child, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `${name} exited before it was ready (${describeExit(child.exitCode, child.signalCode)})`,
      );
    try {
      // Bounded: whatever holds the port may accept and never answer.
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} was not ready at ${url} after ${timeoutMs / 1000} s`);
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  const children = [];
  for (const service of running.values()) {
    if (service.timer) clearTimeout(service.timer);
    if (service.child) children.push(service.child);
  }
  const exits = children.map(
    (child) =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  );
  const timer = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
  }, 12_000);
  await Promise.all(exits);
  clearTimeout(timer);
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

// How each service runs: `start` after the build, `dev` from its TypeScript sources,
// restarted by node --watch on every change (the web app: Vite, with hot reload).
const watch = ['--watch', '--import', 'tsx'];
const services = [
  {
    name: 'auth',
    pkg: '@taskflow/auth',
    cwd: 'apps/auth',
    start: ['dist/main.mjs'],
    dev: [...watch, 'src/main.ts'],
    readyUrl: `http://127.0.0.1:${authPort}/health`,
    extraEnv: {
      AUTH_PORT: String(authPort),
      BETTER_AUTH_URL: authUrl,
      AUTH_AUDIENCE: audience,
      TRUSTED_ORIGINS: webOrigins,
      // The web server forwards each browser's address in X-Forwarded-For: believe it
      // from loopback only, so sign-in limits apply per browser, not to the proxy.
      TRUSTED_PROXIES: env.TRUSTED_PROXIES ?? '127.0.0.1,::1',
    },
  },
  {
    name: 'api',
    pkg: '@taskflow/api',
    cwd: 'apps/api',
    start: ['dist/main.mjs'],
    dev: [...watch, 'src/main.ts'],
    readyUrl: `http://127.0.0.1:${apiPort}/health`,
    extraEnv: {
      PORT: String(apiPort),
      // Wired to the identity service: its keys, its issuer, the API's audience.
      AUTH_JWKS_URL: `http://127.0.0.1:${authPort}/api/auth/jwks`,
      AUTH_ISSUER: authUrl,
      AUTH_AUDIENCE: audience,
      ALLOWED_ORIGINS: env.ALLOWED_ORIGINS ?? webOrigins,
    },
  },
  {
    name: 'web',
    pkg: '@taskflow/web',
    cwd: 'apps/web',
    // What `pnpm --filter @taskflow/web start` runs once built.
    start: ['dist-server/main.mjs'],
    dev: ['node_modules/vite/bin/vite.js', '--port', `${webPort}`, '--strictPort', '--host', host],
    readyUrl: `http://127.0.0.1:${webPort}/`,
    extraEnv: {
      WEB_PORT: String(webPort),
      API_INTERNAL_URL: `http://127.0.0.1:${apiPort}`,
      AUTH_INTERNAL_URL: `http://127.0.0.1:${authPort}`,
      // Vite's dev proxy (apps/web/vite.config.ts)
      API_URL: `http://127.0.0.1:${apiPort}`,
      AUTH_URL: `http://127.0.0.1:${authPort}`,
    },
  },
];

try {
  if (!dev) {
    say('building (turbo run build; cached when nothing changed)');
    await build(services.map((service) => service.pkg));
  }
  for (const { start: startArgs, dev: devArgs, ...spec } of services)
    await start({ ...spec, args: dev ? devArgs : startArgs });

  const jar = '/tmp/taskflow.cookies';
  console.log(`
TaskFlow is running${dev ? ' in development mode, reloading on every change' : ''}${env.DATABASE_URL ? '' : ' (embedded PGlite data in .data/)'}
  Web app   ${webUrl}
  API       ${apiUrl}   REST /api · Swagger UI ${apiUrl}/docs · tRPC /trpc
  Auth      ${authUrl}   JWKS ${authUrl}/api/auth/jwks

Open ${webUrl} and create an account (the first one is an admin).

Or, from a shell, sign up and get a token:
  curl -s -c ${jar} -H 'content-type: application/json' -d '{"email":"you@example.com","password":"change-me-please","name":"You"}' ${authUrl}/api/auth/sign-up/email
  TOKEN=$(curl -s -b ${jar} ${authUrl}/api/auth/token | sed -E 's/.*"token":"([^"]+)".*/\\1/')
  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"title":"My first task"}' ${apiUrl}/api/tasks

Press Ctrl-C to stop.
`);
} catch (error) {
  console.error(`TaskFlow could not start: ${error instanceof Error ? error.message : error}`);
  await stopAll(1);
}
