import { runService } from '@taskflow/service';
import { type AuthConfig, loadAuthConfig } from './config';
import { createAuthService } from './server';

// `pnpm --filter @taskflow/auth start`: migrate, serve, stop cleanly on SIGTERM / SIGINT.
// A refused configuration exits with 78, a PGlite folder in use by another process with 75.
runService<AuthConfig>({
  name: 'TaskFlow auth',
  service: 'auth',
  loadConfig: () => loadAuthConfig(),
  async start(config, logger) {
    const service = await createAuthService(config, { logger });
    logger.info(
      {
        kind: service.database.kind,
        location: service.database.location,
        migrated: service.migrated,
      },
      'database ready',
    );
    const url = await service.listen();
    logger.info(
      {
        url,
        public_url: config.baseUrl,
        jwks: `${config.baseUrl}/api/auth/jwks`,
        audience: config.audience,
      },
      'TaskFlow auth listening',
    );
    return { close: () => service.close() };
  },
});
