import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, createHttpMetrics, exposeMetrics, runService } from '@taskflow/service';
import { loadWebConfig, type WebConfig } from './config';
import { DIST_DIR } from './paths';
import { createWebServer } from './serve';

// `pnpm --filter @taskflow/web start` builds first, then runs this (compiled to dist-server/main.mjs).
runService<WebConfig>({
  name: 'TaskFlow web',
  service: 'web',
  loadConfig() {
    const config = loadWebConfig();
    if (!existsSync(join(DIST_DIR, 'index.html')))
      throw new ConfigError([
        `no built app in ${DIST_DIR}: run \`pnpm --filter @taskflow/web build\``,
      ]);
    return config;
  },
  async start(config, logger) {
    const metrics = createHttpMetrics('web');
    const app = await createWebServer({
      distDir: DIST_DIR,
      apiUrl: config.apiUrl,
      authUrl: config.authUrl,
      upstreamTimeoutMs: config.upstreamTimeoutMs,
      logger,
      metrics,
    });
    const closeMetrics = await exposeMetrics(app, metrics.registry, config.service.metrics, logger);
    const url = await app.listen({ port: config.port, host: config.host });
    logger.info({ url, api: config.apiUrl, auth: config.authUrl }, 'TaskFlow web listening');
    return {
      async close() {
        await closeMetrics();
        await app.close();
      },
    };
  },
});
