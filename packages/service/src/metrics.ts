import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { metricsReader } from './cluster-metrics';
import { errorBody } from './error-reply';
import type { Logger } from './logger';
import { createService } from './server';

export interface HttpMetrics {
  registry: Registry;
  observe(method: string, route: string, status: number, seconds: number): void;
}

/**
 * A registry per service with the process's own figures (event-loop lag, memory, GC,
 * handles) and request counts and durations per method, route and status.
 */
export function createHttpMetrics(service: string): HttpMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from request to response, by method, route pattern and status',
    labelNames,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    observe(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
  };
}

/** Where /metrics is served: nowhere, on the service's port (optionally behind a token), or on a port of its own. */
export type MetricsExposure =
  | { mode: 'off' }
  | { mode: 'same-port'; token: string | undefined }
  | { mode: 'own-port'; port: number; host: string; token: string | undefined };

function tokenMatches(header: string | undefined, token: string): boolean {
  // The scheme is case-insensitive (RFC 9110 11.1); the token is compared in constant time.
  const m = /^bearer +(.+)$/i.exec(header ?? '');
  const given = Buffer.from(m?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function addMetricsRoute(app: FastifyInstance, registry: Registry, token: string | undefined) {
  const read = metricsReader(registry);
  app.get('/metrics', async (request, reply) => {
    if (token !== undefined && !tokenMatches(request.headers.authorization, token)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .header('cache-control', 'no-store')
        .send(errorBody(401, 'UNAUTHORIZED', 'A metrics token is required', request.id));
    }
    let text: string;
    try {
      text = await read();
    } catch (error) {
      request.log.warn({ err: error }, 'metrics could not be collected');
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .send(errorBody(503, 'SERVICE_UNAVAILABLE', 'Metrics could not be collected', request.id));
    }
    return reply
      .header('content-type', registry.contentType)
      .header('cache-control', 'no-store')
      .send(text);
  });
}

/**
 * Serves the registry as configured. On its own port it is a separate, bare Fastify
 * server (scraped from inside the network); close it with the returned function.
 */
export async function exposeMetrics(
  app: FastifyInstance,
  registry: Registry,
  exposure: MetricsExposure,
  logger: Logger,
): Promise<() => Promise<void>> {
  if (exposure.mode === 'off') return async () => undefined;
  if (exposure.mode === 'same-port') {
    addMetricsRoute(app, registry, exposure.token);
    return async () => undefined;
  }
  // The same front door as the service's own port: guard, request ids, error shape.
  const own = createService({ logger });
  addMetricsRoute(own, registry, exposure.token);
  const url = await own.listen({ port: exposure.port, host: exposure.host });
  logger.info({ url: `${url}/metrics` }, 'metrics listening');
  return () => own.close();
}
