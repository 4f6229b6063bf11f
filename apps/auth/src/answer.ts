import { isDatabaseUnavailable } from '@taskflow/db';
import { HttpError, UNAVAILABLE_HEADERS } from '@taskflow/http-guard';
import { errorBody } from '@taskflow/service';
import { isAPIError } from 'better-auth/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordDatabaseFaults } from './database-faults';
import { withRequestLog } from './request-log';

const UNAVAILABLE_MESSAGE = 'The database is unavailable; try again shortly';

/** The 503 (with Retry-After) for a request the database let down: not the caller's fault. */
export function unavailableBody(requestId: string) {
  return errorBody(503, 'SERVICE_UNAVAILABLE', UNAVAILABLE_MESSAGE, requestId);
}

export const UNAVAILABLE_REPLY_HEADERS = { ...UNAVAILABLE_HEADERS, 'cache-control': 'no-store' };

/**
 * Runs one of this service's own handlers (never cached: some answers carry API keys),
 * answering 503 when the database was unreachable anywhere inside it, and Better Auth's
 * own refusals (from auth.api calls) with their status. Everything else goes to the
 * service's error handler, the one place a 500 is logged.
 */
export async function answer<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  run: () => Promise<T>,
): Promise<T | FastifyReply> {
  reply.header('cache-control', 'no-store');
  const { result, faults } = recordDatabaseFaults(() => withRequestLog(request.log, run));
  try {
    return await result;
  } catch (error) {
    if (faults.unavailable || isDatabaseUnavailable(error))
      return reply.code(503).headers(UNAVAILABLE_REPLY_HEADERS).send(unavailableBody(request.id));
    if (isAPIError(error) && error.statusCode < 500)
      throw new HttpError(
        error.statusCode,
        String(error.body?.code ?? error.status),
        error.body?.message ?? error.message,
      );
    throw error;
  }
}
