import { HttpError, httpErrorBody } from '@taskflow/http-guard';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The error body every service answers with, carrying the request's id. */
export function errorBody(status: number, code: string, message: string, requestId: string) {
  return { ...httpErrorBody(status, code, message), request_id: requestId };
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  431: 'HEADERS_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

/** The code an error body names for a status, when nothing more specific is known. */
export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
}

/** Status, code and message a client may see for whatever a handler threw. */
export function describeFailure(error: FastifyError | Error): {
  status: number;
  code: string;
  message: string;
} {
  if (error instanceof HttpError)
    return { status: error.status, code: error.code, message: error.message };
  const status = 'statusCode' in error ? Number(error.statusCode) : 500;
  // Fastify's own refusals (body too large, bad media type, bad JSON) carry a 4xx status.
  if (Number.isInteger(status) && status >= 400 && status < 500) {
    return { status, code: codeForStatus(status), message: error.message };
  }
  return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' };
}

/**
 * Fastify's error handler for every service: the one place a 500 is logged (with its
 * stack, under the request's id) and the one shape refusals are answered in.
 */
export function replyWithError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const { status, code, message } = describeFailure(error);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return reply;
  }
  // A refusal mid-body leaves bytes on the connection that the next request would misread.
  if (status === 413) reply.header('connection', 'close');
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .send(errorBody(status, code, message, request.id));
}
