import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DB, Kysely } from '@taskflow/db';
import type { Logger } from '@taskflow/router';
import {
  createRateLimiter,
  createTokenVerifier,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  type RateLimitOptions,
  type VerifierOptions,
} from '@taskflow/router';
import { createHttpServer } from './http/server';

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
}

export interface App {
  server: Server;
  /** Listens and resolves with the base URL, e.g. http://127.0.0.1:8000. */
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting connections and waits for in-flight requests (the database is the caller's). */
  close(): Promise<void>;
}

export function createApp(options: AppOptions): App {
  // One verifier (and so one cached remote key set) per process.
  const verifyToken = createTokenVerifier({
    onKeySetError: (error) =>
      options.logger.warn('identity provider key set could not be fetched', {
        jwks: options.auth.jwksUrl.href,
        error: error instanceof Error ? error.message : String(error),
      }),
    ...options.auth,
  });
  const server = createHttpServer({
    db: options.db,
    logger: options.logger,
    verifyToken,
    allowedOrigins: options.allowedOrigins ?? [],
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
    rateLimiter: createRateLimiter(
      options.rateLimit ?? { perMinute: DEFAULT_RATE_LIMIT_PER_MINUTE },
      options.logger,
    ),
  });

  return {
    server,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const { port: bound } = server.address() as AddressInfo;
          resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
        });
      }),
    close: () =>
      new Promise((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
