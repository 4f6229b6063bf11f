import { createService, type HttpMetrics, type Logger } from '@taskflow/service';
import type { FastifyInstance } from 'fastify';
import { registerProxies } from './proxy';
import { registerStatic } from './static';

export interface WebServerOptions {
  distDir: string;
  /** Where the API listens, e.g. http://127.0.0.1:8000. */
  apiUrl: string;
  /** Where the identity service listens, e.g. http://127.0.0.1:3001. */
  authUrl: string;
  logger: Logger;
  /** How long an upstream may take to answer before the client gets a 504 (default 30 s). */
  upstreamTimeoutMs?: number;
  /** Once stopping, how long a request may still wait for an upstream's headers (default 5 s). */
  drainMs?: number;
  /** Request counts and durations, served at /metrics as configured. */
  metrics?: HttpMetrics;
}

/**
 * Serves the built app and forwards /api/auth and /api/agents to the identity service and
 * /trpc, /api, /openapi.json, /docs and /mcp to the API, so the browser sees one origin and a
 * first-party cookie. The router picks the longest prefix, so /api/auth wins over /api.
 */
export async function createWebServer(options: WebServerOptions): Promise<FastifyInstance> {
  const app = createService({ logger: options.logger, metrics: options.metrics });
  await registerProxies(
    app,
    [
      { prefix: '/api/auth', upstream: options.authUrl },
      { prefix: '/api/agents', upstream: options.authUrl },
      { prefix: '/trpc', upstream: options.apiUrl },
      { prefix: '/api', upstream: options.apiUrl },
      { prefix: '/openapi.json', upstream: options.apiUrl },
      { prefix: '/docs', upstream: options.apiUrl },
      // MCP for remote agents, so one public origin serves them too.
      { prefix: '/mcp', upstream: options.apiUrl },
    ],
    {
      ...(options.upstreamTimeoutMs !== undefined && {
        upstreamTimeoutMs: options.upstreamTimeoutMs,
      }),
      ...(options.drainMs !== undefined && { drainMs: options.drainMs }),
    },
  );
  await registerStatic(app, options.distDir);
  return app;
}
