import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyBaseLogger } from 'fastify';

const current = new AsyncLocalStorage<FastifyBaseLogger>();

/** Runs one request's work with its logger (bound to its request id) at hand. */
export function withRequestLog<T>(log: FastifyBaseLogger, run: () => T): T {
  return current.run(log, run);
}

/**
 * The logger of the request being served, else `fallback`: Better Auth logs through a
 * function that knows nothing of requests, and its lines should still carry the id.
 */
export function requestLog(fallback: FastifyBaseLogger): FastifyBaseLogger {
  return current.getStore() ?? fallback;
}
