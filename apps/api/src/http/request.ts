import type { HttpRequestLike } from '@taskflow/router';
import type { FastifyRequest } from 'fastify';

/**
 * The Fastify request as the router's context reads it. `request.log` is typed as
 * Fastify's base logger but is the pino child createService made (with the request id).
 */
export function asRequestLike(request: FastifyRequest): HttpRequestLike {
  return request as unknown as HttpRequestLike;
}
