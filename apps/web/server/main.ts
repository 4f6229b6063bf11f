import type { AddressInfo } from 'node:net';
import { installProcessGuard } from '@taskflow/http-guard';
import { DIST_DIR, ensureBuilt } from './build';
import { createWebServer } from './serve';

// `pnpm --filter @taskflow/web start`: build if needed, serve, stop cleanly on SIGTERM / SIGINT.
const log = (msg: string, fields: Record<string, unknown> = {}) =>
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'info', service: 'web', msg, ...fields })}\n`,
  );

const port = Number(process.env.WEB_PORT ?? 3000);
const host = process.env.HOST ?? (process.env.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1');
const apiUrl = process.env.API_INTERNAL_URL ?? process.env.API_URL ?? 'http://127.0.0.1:8000';
const authUrl = process.env.AUTH_INTERNAL_URL ?? process.env.AUTH_URL ?? 'http://127.0.0.1:3001';

await ensureBuilt(log);
const server = createWebServer({ distDir: DIST_DIR, apiUrl, authUrl });
server.listen(port, host, () => {
  const { port: bound } = server.address() as AddressInfo;
  log('TaskFlow web listening', { url: `http://${host}:${bound}`, api: apiUrl, auth: authUrl });
  installProcessGuard((msg, fields) => log(msg, { level: 'error', ...fields }));
});
let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log('shutting down', { signal });
  setTimeout(() => process.exit(1), 5_000).unref();
  server.close(() => {
    log('stopped');
    process.exit(0);
  });
  server.closeIdleConnections();
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
