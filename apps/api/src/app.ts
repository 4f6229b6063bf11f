import type { Database, DB, Kysely, Listen } from '@taskflow/db';
import type { ToolSet } from '@taskflow/mcp-tools';
import {
  ChangeHub,
  ChannelFollower,
  createRateLimiter,
  createTokenVerifier,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  MemberScopes,
  type RateLimitOptions,
  SSE_PING_MS,
  type VerifierOptions,
  WEBHOOK_DEFAULTS,
  type WebhookSettings,
  WORKERS_CHANNEL,
  WorkerCache,
  type WorkerCacheOptions,
} from '@taskflow/router';
import { createService, exposeMetrics, type Logger, type MetricsExposure } from '@taskflow/service';
import type { FastifyInstance } from 'fastify';
import { registerCors } from './http/cors';
import { trpcPlugin } from './http/trpc';
import { type LeaseSweeper, startLeaseSweeper } from './lease-sweeper';
import { mcpPlugin } from './mcp/plugin';
import { createApiMetrics } from './metrics';
import { docsPlugin } from './rest/docs';
import { buildOpenApiDocument } from './rest/openapi';
import { restPlugin } from './rest/plugin';
import { startWebhookDispatcher, type WebhookDispatcher } from './webhook-dispatcher';

export const DEFAULT_MAX_BATCH_SIZE = 50;

export interface AppOptions {
  db: Kysely<DB>;
  logger: Logger;
  auth: VerifierOptions;
  allowedOrigins?: string[];
  bodyLimitBytes?: number;
  maxBatchSize?: number;
  /**
   * Per-principal limit; default DEFAULT_RATE_LIMIT_PER_MINUTE counted in this
   * process. Pass the database's pool to share the count between processes.
   */
  rateLimit?: RateLimitOptions;
  /** Where /metrics is served; default nowhere. */
  metrics?: MetricsExposure;
  /** The pg pool behind `db`, for the pool gauges (PGlite has none). */
  pool?: Database['pool'];
  /** How often expired leases are swept, in ms; 0 or absent: not in this app (tests opt in). */
  leaseSweepIntervalMs?: number;
  /**
   * MCP at /mcp. `authUrl`: where agent keys are exchanged (default: the key set's
   * server, the JWKS URL without /api/auth/jwks); `tools`: the default tool set (all).
   */
  mcp?: { authUrl?: string; tools?: ToolSet };
  /** How webhooks are checked, sent and retried; default WEBHOOK_DEFAULTS. */
  webhooks?: WebhookSettings;
  /** How often due webhook messages are delivered, in ms; 0 or absent: not by this app (tests opt in). */
  webhookPollIntervalMs?: number;
  /** The change feed (events.*, GET /api/events). */
  changes?: ChangeFeedOptions;
  /** Copies of callers' worker rows (kept only where `changes.listen` is given). */
  workerCache?: WorkerCacheOptions;
}

export interface ChangeFeedOptions {
  /** The database's LISTEN (Database.listen); absent: the feed polls on its fallback timer only. */
  listen?: Listen | undefined;
  /** Whether commits here NOTIFY other processes (PostgreSQL: yes; PGlite: one process, no). */
  announce?: boolean | undefined;
  maxStreamsPerPrincipal?: number;
  /** A `: ping` comment on GET /api/events this often (tRPC's stream pings every SSE_PING_MS). */
  keepAliveMs?: number;
  maxBufferedBytes?: number;
  slowClientMs?: number;
  fallbackPollMs?: number;
}

/** The identity service's base URL, from its key set's URL (Better Auth serves /api/auth/jwks). */
export function authServerOf(jwksUrl: URL): string {
  return jwksUrl.href.replace(/\/api\/auth\/jwks\/?$/, '').replace(/\/$/, '');
}

export interface App {
  fastify: FastifyInstance;
  /** This process's change feed. */
  changes: ChangeHub;
  /** Listens and resolves with the base URL, e.g. http://127.0.0.1:8000. */
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting connections and waits for in-flight requests (the database is the caller's). */
  close(): Promise<void>;
}

export function createApp(options: AppOptions): App {
  const { logger } = options;
  // One verifier (and so one cached remote key set) per process.
  const verifyToken = createTokenVerifier({
    onKeySetError: (error) =>
      logger.warn(
        { jwks: options.auth.jwksUrl.href, err: error },
        'identity provider key set could not be fetched',
      ),
    ...options.auth,
  });
  const exposure = options.metrics ?? { mode: 'off' };
  const feed = options.changes ?? {};
  const changes = new ChangeHub({
    db: options.db,
    listen: feed.listen,
    announce: feed.announce,
    logger,
    maxStreamsPerPrincipal: feed.maxStreamsPerPrincipal,
    maxBufferedBytes: feed.maxBufferedBytes,
    slowClientMs: feed.slowClientMs,
    fallbackPollMs: feed.fallbackPollMs,
  });
  // No counting at all when nobody can read the counts.
  const metrics =
    exposure.mode === 'off'
      ? undefined
      : createApiMetrics(options.pool ?? options.rateLimit?.pool, changes);
  const app = createService({
    logger,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    ...(metrics && { metrics }),
  });
  // Callers' worker rows, kept only while every process's changes to them can be heard.
  const workers = new WorkerCache(options.workerCache);
  const workerChanges =
    feed.listen &&
    new ChannelFollower({
      listen: feed.listen,
      channel: WORKERS_CHANNEL,
      logger,
      label: 'worker cache',
      onNotify: (id) => workers.forget(id),
      onListening: () => workers.listening(),
      onLost: () => workers.deaf(),
    });
  const webhooks = options.webhooks ?? WEBHOOK_DEFAULTS;
  const dispatcher: WebhookDispatcher | undefined = options.webhookPollIntervalMs
    ? startWebhookDispatcher(options.db, logger, webhooks, options.webhookPollIntervalMs, (r) =>
        metrics?.webhookAttempts(r.delivered, r.failed),
      )
    : undefined;
  const deps = {
    db: options.db,
    webhooks,
    // A commit's audit rows: the change feed reads them now and tells the other processes,
    // and the webhook messages they queued go out now rather than at the next poll.
    onAuditCommitted: () => {
      changes.committed();
      dispatcher?.wake();
    },
    changes,
    workers,
    scopes: new MemberScopes(),
    verifyToken,
    rateLimiter: createRateLimiter(
      options.rateLimit ?? { perMinute: DEFAULT_RATE_LIMIT_PER_MINUTE },
      logger,
    ),
    metrics: metrics?.router,
  };
  // Built once: the document only changes with the code.
  const openApiJson = JSON.stringify(buildOpenApiDocument());

  let closeMetrics: () => Promise<void> = async () => undefined;
  const ready = (async () => {
    await workerChanges?.start();
    await registerCors(app, options.allowedOrigins ?? []);
    await app.register(trpcPlugin, {
      prefix: '/trpc',
      ...deps,
      maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
    });
    await app.register(restPlugin, {
      ...deps,
      events: { keepAliveMs: feed.keepAliveMs ?? SSE_PING_MS },
    });
    await app.register(mcpPlugin, {
      ...deps,
      authUrl: options.mcp?.authUrl ?? authServerOf(options.auth.jwksUrl),
      tools: options.mcp?.tools ?? 'all',
    });
    app.get('/openapi.json', (_request, reply) =>
      reply
        .type('application/json; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(openApiJson),
    );
    await app.register(docsPlugin);
    if (metrics) closeMetrics = await exposeMetrics(app, metrics.registry, exposure, logger);
  })();
  const sweeper: LeaseSweeper | undefined = options.leaseSweepIntervalMs
    ? startLeaseSweeper(options.db, logger, options.leaseSweepIntervalMs, (rows) => {
        metrics?.router.auditRowsCommitted(rows);
        changes.committed();
      })
    : undefined;

  return {
    fastify: app,
    changes,
    listen: async (port, host = '127.0.0.1') => {
      await ready;
      await app.listen({ port, host });
      const address = app.server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      return `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
    },
    close: async () => {
      await ready.catch(() => undefined);
      await sweeper?.stop();
      // Streams end first: the server waits for open responses, and these never finish alone.
      await changes.close();
      await app.close();
      await workerChanges?.close();
      await dispatcher?.stop();
      await closeMetrics();
    },
  };
}
