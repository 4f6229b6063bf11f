// `pnpm start`: the whole product on embedded defaults — identity service and
// API (and the web app once it exists) — wired together, stopped with Ctrl-C.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const apiPort = Number(env.API_PORT ?? env.PORT ?? 8000);
const authPort = Number(env.AUTH_PORT ?? 3001);
const webPort = Number(env.WEB_PORT ?? 3000);
const authUrl = (env.BETTER_AUTH_URL ?? `http://localhost:${authPort}`).replace(/\/$/, '');
const apiUrl = `http://localhost:${apiPort}`;
const webUrl = `http://localhost:${webPort}`;
const audience = env.AUTH_AUDIENCE ?? 'taskflow-api';
const webOrigins = env.TRUSTED_ORIGINS ?? `${webUrl},http://127.0.0.1:${webPort}`;

const children = [];
let stopping = false;

function prefix(name, stream, target) {
  let buffer = '';
  stream.on('data', (chunk) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) target.write(`[${name}] ${line}\n`);
  });
}

function start(name, cwd, extraEnv, entry = 'src/main.ts') {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: join(root, cwd),
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prefix(name, child.stdout, process.stdout);
  prefix(name, child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(
        `\n${name} stopped unexpectedly (${signal ?? `exit ${code}`}); stopping TaskFlow.`,
      );
      void stopAll(1);
    }
  });
  children.push({ name, child });
  return child;
}

async function waitFor(name, url, child, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited before it was ready`);
    try {
      if ((await fetch(url)).ok) return;
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
  const exits = children.map(
    ({ child }) =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  );
  const timer = setTimeout(() => {
    for (const { child } of children) child.kill('SIGKILL');
  }, 12_000);
  await Promise.all(exits);
  clearTimeout(timer);
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  const auth = start('auth', 'apps/auth', {
    AUTH_PORT: String(authPort),
    BETTER_AUTH_URL: authUrl,
    AUTH_AUDIENCE: audience,
    TRUSTED_ORIGINS: webOrigins,
  });
  await waitFor('auth', `http://127.0.0.1:${authPort}/health`, auth);

  const api = start('api', 'apps/api', {
    PORT: String(apiPort),
    // Wired to the identity service: its keys, its issuer, the API's audience.
    AUTH_JWKS_URL: `http://127.0.0.1:${authPort}/api/auth/jwks`,
    AUTH_ISSUER: authUrl,
    AUTH_AUDIENCE: audience,
    ALLOWED_ORIGINS: env.ALLOWED_ORIGINS ?? webOrigins,
  });
  await waitFor('api', `http://127.0.0.1:${apiPort}/health`, api);

  let web;
  if (existsSync(join(root, 'apps/web/server/main.ts'))) {
    web = start(
      'web',
      'apps/web',
      {
        WEB_PORT: String(webPort),
        API_INTERNAL_URL: `http://127.0.0.1:${apiPort}`,
        AUTH_INTERNAL_URL: `http://127.0.0.1:${authPort}`,
      },
      'server/main.ts',
    );
    await waitFor('web', `http://127.0.0.1:${webPort}/`, web);
  }

  const jar = '/tmp/taskflow.cookies';
  console.log(`
TaskFlow is running${env.DATABASE_URL ? '' : ' (embedded PGlite data in .data/)'}
${web ? `  Web app   ${webUrl}\n` : ''}  API       ${apiUrl}   REST /api · Swagger UI ${apiUrl}/docs · tRPC /trpc
  Auth      ${authUrl}   JWKS ${authUrl}/api/auth/jwks

${web ? `Open ${webUrl} and create an account (the first one is an admin).\n\n` : ''}Or, from a shell, sign up and get a token:
  curl -s -c ${jar} -H 'content-type: application/json' -d '{"email":"you@example.com","password":"change-me-please","name":"You"}' ${authUrl}/api/auth/sign-up/email
  TOKEN=$(curl -s -b ${jar} ${authUrl}/api/auth/token | sed -E 's/.*"token":"([^"]+)".*/\\1/')
  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"title":"My first task"}' ${apiUrl}/api/tasks

Press Ctrl-C to stop.
`);
} catch (error) {
  console.error(`TaskFlow could not start: ${error instanceof Error ? error.message : error}`);
  await stopAll(1);
}
