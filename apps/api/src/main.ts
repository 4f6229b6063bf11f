import { createDb, DataDirLockedError, migrateToLatest } from '@taskflow/db';
import { installProcessGuard } from '@taskflow/http-guard';
import { createLogger } from '@taskflow/router';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config';

// `pnpm --filter @taskflow/api start`: migrate, serve, and stop cleanly on SIGTERM / SIGINT.
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`TaskFlow API cannot start. ${error.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const database = createDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.pgliteDataDir,
    onPoolError: (error) => logger.warn('database connection failed', { error: error.message }),
  });
  const { applied } = await migrateToLatest(database.db);
  logger.info('database ready', { kind: database.kind, location: database.location, applied });

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
  });
  const url = await app.listen(config.port, config.host);
  logger.info('TaskFlow API listening', {
    url,
    trpc: `${url}/trpc`,
    jwks: config.jwksUrl.href,
    rateLimit: config.rateLimitPerMinute
      ? `${config.rateLimitPerMinute}/min per caller, ${database.pool ? 'shared in PostgreSQL' : 'in this process'}`
      : 'off',
  });
  installProcessGuard(logger.error);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    // Give in-flight requests a bounded time, then leave anyway.
    const force = setTimeout(() => {
      logger.warn('shutdown timed out; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    try {
      await app.close();
      await database.close();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error('shutdown failed', { error: (error as Error).message });
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof DataDirLockedError) {
    console.error(`TaskFlow API cannot start. ${error.message}`);
    process.exit(75); // EX_TEMPFAIL: free once the other process stops
  }
  console.error('TaskFlow API failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
