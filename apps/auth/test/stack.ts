import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { type App, type AppOptions, createApp } from '@taskflow/api';
import { type ServiceProcess, startService, waitForHealth } from '@taskflow/api/testing';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { createLogger } from '@taskflow/service';
import { type AuthConfig, DEFAULT_AUDIENCE } from '../src/config';
import { type AuthService, createAuthService } from '../src/server';

const AUTH_DIR = resolve(import.meta.dirname, '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A cookie jar of one: what a browser would send back. */
export function cookiesFrom(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

export interface Stack {
  database: TestDatabase;
  auth: AuthService;
  authUrl: string;
  api: App;
  apiUrl: string;
  config: AuthConfig;
  signUp(
    email: string,
    name: string,
    password?: string,
  ): Promise<{ cookie: string; userId: string }>;
  /** A JWT for the API, as the web app gets one: GET /api/auth/token with the session cookie. */
  tokenFor(cookie: string): Promise<string>;
  /** An agent and its first key, issued by the admin whose session `adminCookie` is. */
  createAgent(adminCookie: string, name: string): Promise<{ id: string; key: string }>;
  stop(): Promise<void>;
}

/**
 * The real thing on loopback: Better Auth and the API on one fresh
 * PostgreSQL database, the API verifying tokens against the auth server's JWKS.
 */
export async function startStack(
  overrides: Partial<AuthConfig> = {},
  apiCooldownMs?: number,
  /** Webhook delivery for the API (off unless asked: no test sees deliveries it did not ask for). */
  apiWebhooks: Pick<AppOptions, 'webhooks' | 'webhookPollIntervalMs'> = {},
): Promise<Stack> {
  const database = await createTestDatabase();
  const port = await freePort();
  const authUrl = `http://127.0.0.1:${port}`;
  const config: AuthConfig = {
    env: 'test',
    host: '127.0.0.1',
    port,
    baseUrl: authUrl,
    secret: 'test-secret-test-secret-test-secret-0123',
    databaseUrl: database.url,
    pgliteDataDir: 'memory://',
    audience: DEFAULT_AUDIENCE,
    adminEmails: [],
    trustedOrigins: ['http://localhost:3000'],
    trustedProxies: [],
    signInLimit: { max: 10, windowSec: 60 },
    requestLimit: { max: 100, windowSec: 10 },
    jwtExpiration: '15m',
    rotationIntervalSec: undefined,
    gracePeriodSec: undefined,
    // Quiet: the access lines are tested on a real process's stderr (process.test.ts).
    service: {
      logLevel: 'silent',
      prettyLogs: false,
      metrics: { mode: 'same-port', token: undefined },
    },
    ...overrides,
  };
  // Behind a TLS-terminating proxy the public URL is not where the tests reach the service.
  if (config.baseUrl !== authUrl) config.trustedOrigins = [...config.trustedOrigins, authUrl];
  const auth = await createAuthService(config);
  await auth.listen();
  const api = createApp({
    db: database.db,
    // Woken by LISTEN/NOTIFY as in production, not only by the feed's fallback timer.
    changes: { listen: database.listen },
    logger: createLogger({ service: 'api', level: 'silent' }),
    auth: {
      jwksUrl: new URL(`${authUrl}/api/auth/jwks`),
      issuer: config.baseUrl,
      audience: DEFAULT_AUDIENCE,
      ...(apiCooldownMs !== undefined && { jwksCooldownMs: apiCooldownMs }),
    },
    ...apiWebhooks,
  });
  const apiUrl = await api.listen(0);

  const signUp = async (email: string, name: string, password = 'correct horse battery') => {
    const res = await fetch(`${authUrl}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
      body: JSON.stringify({ email, name, password }),
    });
    if (res.status !== 200) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { user: { id: string } };
    return { cookie: cookiesFrom(res), userId: body.user.id };
  };
  const tokenFor = async (cookie: string) => {
    const res = await fetch(`${authUrl}/api/auth/token`, { headers: { cookie } });
    if (res.status !== 200) throw new Error(`token failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  const createAgent = async (adminCookie: string, name: string) => {
    const res = await fetch(`${authUrl}/api/agents`, {
      method: 'POST',
      headers: {
        cookie: adminCookie,
        origin: 'http://localhost:3000',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name }),
    });
    if (res.status !== 201) throw new Error(`agent failed: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { api_key: string; agent: { id: string } };
    return { id: body.agent.id, key: body.api_key };
  };
  return {
    database,
    auth,
    authUrl,
    api,
    apiUrl,
    config,
    signUp,
    tokenFor,
    createAgent,
    stop: async () => {
      await api.close();
      await auth.close();
      await database.drop();
    },
  };
}

export interface AuthProcess {
  process: ServiceProcess;
  url: string;
  database: TestDatabase;
  /** SIGTERM, wait for the exit, drop the database. */
  stop(): Promise<void>;
}

/** The identity service as a real process on a database of its own, once it is healthy. */
export async function startAuthProcess(env: Record<string, string> = {}): Promise<AuthProcess> {
  const database = await createTestDatabase({ migrate: false });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startService(AUTH_DIR, {
    NODE_ENV: 'test',
    AUTH_PORT: String(port),
    BETTER_AUTH_URL: url,
    BETTER_AUTH_SECRET: 'test-secret-test-secret-test-secret-0123',
    DATABASE_URL: database.url,
    TRUSTED_ORIGINS: 'http://localhost:3000',
    ...env,
  });
  await waitForHealth(`${url}/health`, child);
  return {
    process: child,
    url,
    database,
    async stop() {
      child.child.kill('SIGTERM');
      await child.exited;
      await database.drop();
    },
  };
}
