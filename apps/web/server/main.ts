import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  createHttpMetrics,
  createLogger,
  exposeMetrics,
  runService,
} from '@taskflow/service';
import { loadWebConfig, type WebConfig } from './config';
import { DIST_DIR } from './paths';
import { createWebServer } from './serve';

// `pnpm --filter @taskflow/web start` builds first, then runs this (compiled to dist-server/main.mjs).
runService<WebConfig>({
  name: 'TaskFlow web',
  loadConfig() {
    const config = loadWebConfig();
    if (!existsSync(join(DIST_DIR, 'index.html')))
      throw new ConfigError([
        `no built app in ${DIST_DIR}: run \`pnpm --filter @taskflow/web build\``,
      ]);
    return config;
  },
  async start(config) {
    const logger = createLogger({
      service: 'web',
      level: config.logLevel,
      pretty: config.prettyLogs,
    });
    const metrics = createHttpMetrics('web');
    const app = await createWebServer({
      distDir: DIST_DIR,
      apiUrl: config.apiUrl,
      authUrl: config.authUrl,
      logger,
      metrics,
    });
    const closeMetrics = await exposeMetrics(app, metrics.registry, config.metrics, logger);
    const url = await app.listen({ port: config.port, host: config.host });
    logger.info({ url, api: config.apiUrl, auth: config.authUrl }, 'TaskFlow web listening');
    return {
      logger,
      async close() {
        await closeMetrics();
        await app.close();
      },
    };
  },
});
