import { migrateToLatest } from '@taskflow/db';
import { createTestDatabase, type TestDatabase } from '@taskflow/db/testing';
import { type AppRouter, WEBHOOK_DEFAULTS, type WebhookSettings } from '@taskflow/router';
import { createLogger, isLogLevel } from '@taskflow/service';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { type App, type ChangeFeedOptions, createApp } from '../../src/app';
import { TestIssuer } from './jwks';

export type Client = ReturnType<typeof makeClient>;

export function makeClient(baseUrl: string, token: string | undefined) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${baseUrl}/trpc`,
        headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
      }),
    ],
  });
}

export interface Harness {
  database: TestDatabase;
  issuer: TestIssuer;
  app: App;
  baseUrl: string;
  /** Another API process on the same database and issuer, as behind a load balancer. */
  startApp(
    options?: Pick<
      HarnessOptions,
      | 'rateLimitPerMinute'
      | 'leaseSweepIntervalMs'
      | 'webhooks'
      | 'webhookPollIntervalMs'
      | 'changes'
    >,
  ): Promise<{ app: App; baseUrl: string }>;
  /** A typed client over real HTTP, authenticated as `sub` (role admin when asked). */
  as(sub: string, options?: { admin?: boolean; name?: string }): Promise<Client>;
  anonymous(): Client;
  withToken(token: string): Client;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  maxConnections?: number;
  /** Calls per principal per minute, shared through the database; default 0 (off), so suites that make many calls are not throttled. */
  rateLimitPerMinute?: number;
  /** Sweep expired leases this often (ms); default off, so no test sees a sweep it did not ask for. */
  leaseSweepIntervalMs?: number;
  /** Webhook settings over WEBHOOK_DEFAULTS (e.g. allowPrivateNetworks for a loopback receiver). */
  webhooks?: Partial<WebhookSettings>;
  /** Deliver due webhook messages this often (ms); default off. */
  webhookPollIntervalMs?: number;
  /** The change feed's limits (its wake-up is the test database's LISTEN). */
  changes?: Omit<ChangeFeedOptions, 'listen'>;
}

/** A fresh PostgreSQL database, a real JWKS server and the API on loopback. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const database = await createTestDatabase({ maxConnections: options.maxConnections ?? 10 });
  await migrateToLatest(database.db);
  const issuer = await new TestIssuer().start();
  const apps: App[] = [];
  const level = process.env.LOG_LEVEL ?? 'silent';
  const startApp = async ({
    rateLimitPerMinute = options.rateLimitPerMinute ?? 0,
    leaseSweepIntervalMs = options.leaseSweepIntervalMs ?? 0,
    webhooks = options.webhooks,
    webhookPollIntervalMs = options.webhookPollIntervalMs ?? 0,
    changes = options.changes,
  }: Pick<
    HarnessOptions,
    'rateLimitPerMinute' | 'leaseSweepIntervalMs' | 'webhooks' | 'webhookPollIntervalMs' | 'changes'
  > = {}) => {
    const app = createApp({
      db: database.db,
      logger: createLogger({ service: 'api', level: isLogLevel(level) ? level : 'silent' }),
      auth: issuer.verifierOptions(),
      allowedOrigins: ['http://localhost:3000'],
      rateLimit: { perMinute: rateLimitPerMinute, pool: database.pool },
      leaseSweepIntervalMs,
      webhooks: { ...WEBHOOK_DEFAULTS, ...webhooks },
      webhookPollIntervalMs,
      changes: { listen: database.listen, ...changes },
    });
    apps.push(app);
    return { app, baseUrl: await app.listen(0) };
  };
  const { app, baseUrl } = await startApp();
  return {
    database,
    issuer,
    app,
    baseUrl,
    startApp,
    as: async (sub, opts = {}) =>
      makeClient(
        baseUrl,
        await issuer.token(sub, { ...(opts.admin && { role: 'admin' }), name: opts.name ?? sub }),
      ),
    anonymous: () => makeClient(baseUrl, undefined),
    withToken: (token) => makeClient(baseUrl, token),
    stop: async () => {
      for (const started of apps) await started.close();
      await issuer.stop();
      await database.drop();
    },
  };
}

export interface ApiFailure {
  code: string;
  httpStatus: number;
  message: string;
  issues?: { path: string; message: string }[];
}

/** Awaits a call that must fail and returns what the client saw. */
export async function failure(promise: Promise<unknown>): Promise<ApiFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = error.data as {
        code: string;
        httpStatus: number;
        issues?: ApiFailure['issues'];
      };
      return {
        code: data.code,
        httpStatus: data.httpStatus,
        message: error.message,
        issues: data.issues,
      };
    }
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
