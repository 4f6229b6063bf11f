import { createDb, migrateToLatest } from '@taskflow/db';
import { runService } from '@taskflow/service';
import { createApp } from './app';
import { type Config, loadConfig } from './config';

// `pnpm --filter @taskflow/api start`: migrate, serve, and stop cleanly on SIGTERM / SIGINT.
// A refused configuration exits 78, a PGlite directory in use 75 (DataDirLockedError's code).
runService<Config>({
  name: 'TaskFlow API',
  service: 'api',
  loadConfig: () => loadConfig(),
  async start(config, logger) {
    const database = createDb({
      databaseUrl: config.databaseUrl,
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
});
