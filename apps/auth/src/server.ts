import type { AddressInfo } from 'node:net';
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import { createDialect, type DialectHandle } from '@taskflow/db';
import { HttpError } from '@taskflow/http-guard';
import {
  createHttpMetrics,
  createLogger,
  createService,
  exposeMetrics,
  type Logger,
} from '@taskflow/service';
import { betterAuth } from 'better-auth';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { agentRoutes } from './agent-routes';
import { type Auth, authOptions } from './auth';
import { betterAuthRoutes } from './better-auth-route';
import type { AuthConfig } from './config';
import { observeDatabaseFaults } from './database-faults';
import { BODY_LIMIT } from './http';
import { migrateAuth } from './migrate';

export interface AuthService {
  auth: Auth;
  app: FastifyInstance;
  database: DialectHandle;
  logger: Logger;
  /** Listens; resolves with the URL it listens on. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Browsers on the web app's origins call this service with cookies: they get CORS headers,
 * with credentials. Other origins get none, and their preflights a 403 as before, so a
 * refused page learns nothing about the methods and headers allowed.
 */
function corsOptions(trustedOrigins: readonly string[]): FastifyCorsOptions {
  const allowed: FastifyCorsOptions = {
    credentials: true,
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['content-type', 'authorization', 'x-api-key'],
    // The web app reads the API token Better Auth sends along with the session.
    exposedHeaders: ['set-auth-jwt'],
    maxAge: 600,
  };
  return {
    delegator: async (request: FastifyRequest): Promise<FastifyCorsOptions> => {
      const origin = request.headers.origin;
      if (origin !== undefined && trustedOrigins.includes(origin)) return { ...allowed, origin };
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method'])
        throw new HttpError(403, 'FORBIDDEN', `Origin ${origin ?? '(none)'} is not trusted`);
      return { origin: false };
    },
  };
}

/** Better Auth plus the agent endpoints, on the shared Fastify service. */
export async function createAuthService(
  config: AuthConfig,
  options: { logger?: Logger } = {},
): Promise<AuthService & { migrated: string[] }> {
  const logger =
    options.logger ??
    createLogger({
      service: 'auth',
      level: config.service.logLevel,
      pretty: config.service.prettyLogs,
    });
  const database = createDialect({
    databaseUrl: config.databaseUrl,
    dataDir: config.pgliteDataDir,
    onPoolError: (error) => logger.warn({ err: error }, 'database connection failed'),
  });
  // Migrate first, so Better Auth's own schema check at start-up finds every table.
  const betterAuthOptions = authOptions(config, observeDatabaseFaults(database.dialect), logger);
  const migrated = await migrateAuth(betterAuthOptions);
  const auth = betterAuth(betterAuthOptions);

  const metrics = config.service.metrics.mode === 'off' ? undefined : createHttpMetrics('auth');
  const app = createService({ logger, bodyLimit: BODY_LIMIT, ...(metrics && { metrics }) });
  await app.register(cors, corsOptions(config.trustedOrigins));
  const closeMetrics = metrics
    ? await exposeMetrics(app, metrics.registry, config.service.metrics, logger)
    : async () => undefined;

  app.get('/health', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
  // Better Auth trusts its own base URL's origin too; so do the cookie-carried endpoints here.
  const trustedOrigins = [...config.trustedOrigins, new URL(config.baseUrl).origin];
  await app.register(agentRoutes(auth, trustedOrigins));
  await app.register(betterAuthRoutes(auth, config.trustedProxies));

  return {
    auth,
    app,
    database,
    logger,
    migrated,
    listen: async () => {
      await app.listen({ port: config.port, host: config.host });
      const { port } = app.server.address() as AddressInfo;
      return `http://${config.host}:${port}`;
    },
    close: async () => {
      await app.close();
      await closeMetrics();
      await database.close();
    },
  };
}

export type { Auth };
