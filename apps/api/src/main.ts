import cluster from 'node:cluster';
import { createDb, migrateToLatest } from '@taskflow/db';
import { createLogger, runService, type ServiceMain } from '@taskflow/service';
import { createApp } from './app';
import { runPrimary } from './cluster';
import { type Config, loadConfig } from './config';

const SHUTDOWN_TIMEOUT_MS = 10_000;

// `pnpm --filter @taskflow/api start`: migrate, serve, and stop cleanly on SIGTERM / SIGINT.
// A refused configuration exits 78, a PGlite directory in use 75 (DataDirLockedError's code).
const api: ServiceMain<Config> = {
  name: 'TaskFlow API',
  service: 'api',
  loadConfig: () => loadConfig(),
  shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
  async start(config, processLogger) {
    // A worker's lines say which worker; the primary logs as the service.
    const logger = cluster.isWorker
      ? processLogger.child({ worker: cluster.worker?.id })
      : processLogger;
    if (!config.databaseUrl && (process.env.API_WORKERS ?? '1') !== '1')
      logger.info('API_WORKERS ignored: the embedded database serves one process');
    const database = createDb({
      databaseUrl: config.databaseUrl,
      maxConnections: config.databasePoolMax,
      dataDir: config.pgliteDataDir,
      onPoolError: (error) => logger.warn({ err: error }, 'database connection failed'),
    });
    try {
      const { applied } = await migrateToLatest(database.db);
      logger.info({ kind: database.kind, location: database.location, applied }, 'database ready');
      const app = createApp({
        db: database.db,
        logger,
        auth: {
          jwksUrl: config.jwksUrl,
          issuer: config.issuer,
          audience: config.audience,
          jwksCooldownMs: config.jwksCooldownMs,
          jwksMaxAgeMs: config.jwksMaxAgeMs,
          jwksStaleIfErrorMs: config.jwksStaleIfErrorMs,
          maxTokenAgeSec: config.maxTokenAgeSec,
        },
        allowedOrigins: config.allowedOrigins,
        bodyLimitBytes: config.bodyLimitBytes,
        maxBatchSize: config.maxBatchSize,
        // On PostgreSQL every process shares one count; PGlite has no pool and one process.
        rateLimit: { perMinute: config.rateLimitPerMinute, pool: database.pool },
        metrics: config.service.metrics,
        pool: database.pool,
        leaseSweepIntervalMs: config.leaseSweepIntervalMs,
        webhooks: config.webhooks,
        webhookPollIntervalMs: config.webhookPollIntervalMs,
        changes: {
          listen: database.listen,
          announce: database.kind === 'postgres',
          ...config.events,
        },
        workerCache: config.workerCache,
        mcp: {
          ...(config.authServerUrl && { authUrl: config.authServerUrl }),
          tools: config.mcpTools,
        },
      });
      const url = await app.listen(config.port, config.host);
      logger.info(
        {
          url,
          trpc: `${url}/trpc`,
          mcp: `${url}/mcp (${config.mcpTools} tools)`,
          jwks: config.jwksUrl.href,
          metrics: config.service.metrics.mode,
          rateLimit: config.rateLimitPerMinute
            ? `${config.rateLimitPerMinute}/min per caller, ${database.pool ? 'shared in PostgreSQL' : 'in this process'}`
            : 'off',
          leaseSweepMs: config.leaseSweepIntervalMs || 'off',
          webhookPollMs: config.webhookPollIntervalMs || 'off',
          webhookPrivateNetworks: config.webhooks.allowPrivateNetworks,
        },
        'TaskFlow API listening',
      );
      return {
        close: async () => {
          await app.close();
          await database.close();
        },
      };
    } catch (error) {
      await database.close().catch(() => undefined);
      throw error;
    }
  },
};

/** The cluster's size, if the configuration is sound; else runService reports what is wrong. */
function workersWanted(): number {
  try {
    return loadConfig().workers;
  } catch {
    return 1;
  }
}

if (cluster.isPrimary && workersWanted() > 1) {
  const config = loadConfig();
  runPrimary({
    workers: config.workers,
    shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS + 2_000,
    logger: createLogger({
      service: 'api',
      level: config.service.logLevel,
      pretty: config.service.prettyLogs,
    }),
  });
} else {
  // A worker whose primary is gone exits by itself (node:cluster ends it on disconnect).
  runService(api);
}
