import { DataDirLockedError } from '@taskflow/db';
import { installProcessGuard } from '@taskflow/http-guard';
import { AuthConfigError, loadAuthConfig } from './config';
import { createAuthService } from './server';

// `pnpm --filter @taskflow/auth start`: migrate, serve, stop cleanly on SIGTERM / SIGINT.
async function main(): Promise<void> {
  let config: ReturnType<typeof loadAuthConfig>;
  try {
    config = loadAuthConfig();
  } catch (error) {
    if (error instanceof AuthConfigError) {
      console.error(`TaskFlow auth cannot start. ${error.message}`);
      process.exit(78);
    }
    throw error;
  }
  const log = (msg: string, fields: Record<string, unknown> = {}) =>
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'info', service: 'auth', msg, ...fields })}\n`,
    );
  const service = await createAuthService(config, {
    onPoolError: (error) => log('database connection failed', { error: error.message }),
  });
  log('database ready', {
    kind: service.database.kind,
    location: service.database.location,
    migrated: service.migrated,
  });
  const url = await service.listen();
  log('TaskFlow auth listening', {
    url,
    public_url: config.baseUrl,
    jwks: `${config.baseUrl}/api/auth/jwks`,
    audience: config.audience,
  });
  installProcessGuard((msg, fields) => log(msg, { level: 'error', ...fields }));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('shutting down', { signal });
    setTimeout(() => process.exit(1), 10_000).unref();
    await service.close();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof DataDirLockedError) {
    console.error(`TaskFlow auth cannot start. ${error.message}`);
    process.exit(75); // EX_TEMPFAIL: free once the other process stops
  }
  console.error('TaskFlow auth failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
