// Every error a client of the router can see, and the one place failures are reported:
// the factories services throw, the translation of database failures, and the wire
// shapes of both surfaces (tRPC's errorFormatter, REST's error body).
import type { ErrorBody } from '@taskflow/contracts';
import { isDatabaseUnavailable, isStalePlan, sqlState } from '@taskflow/db';
import { UNAVAILABLE_HEADERS } from '@taskflow/http-guard';
import type { Logger } from '@taskflow/service';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { TRPCErrorShape } from '@trpc/server/rpc';
import { type ZodError, z } from 'zod';

// ---- Factories ----

export function notFound(what: string): TRPCError {
  return new TRPCError({ code: 'NOT_FOUND', message: `${what} not found` });
}

export function forbidden(message: string): TRPCError {
  return new TRPCError({ code: 'FORBIDDEN', message });
}

export function conflict(message: string, cause?: Error): TRPCError {
  return new TRPCError({ code: 'CONFLICT', message, ...(cause && { cause }) });
}

export function unprocessable(message: string): TRPCError {
  return new TRPCError({ code: 'UNPROCESSABLE_CONTENT', message });
}

export function unauthorized(message: string, cause?: unknown): TRPCError {
  return new TRPCError({ code: 'UNAUTHORIZED', message, cause });
}

export function badRequest(message: string): TRPCError {
  return new TRPCError({ code: 'BAD_REQUEST', message });
}

/** The version a caller expected is not the task's version any more (412 over REST with If-Match). */
export class StaleVersion extends Error {
  override name = 'StaleVersion';
}

/** The cause of a refusal that carries data a client can act on (tRPC `data.details`, REST `details`). */
export class RefusalDetails extends Error {
  override name = 'RefusalDetails';
  constructor(
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** A 409 with details, e.g. the unfinished tasks a start waits for. */
export function conflictWithDetails(message: string, details: Record<string, unknown>): TRPCError {
  return conflict(message, new RefusalDetails(message, details));
}

function detailsOf(error: TRPCError): Record<string, unknown> | undefined {
  return error.cause instanceof RefusalDetails ? error.cause.details : undefined;
}

/** A 409 that means "the version you sent is stale". */
export function stale(message: string): TRPCError {
  return conflict(message, new StaleVersion(message));
}

// ---- Validation issues ----

export interface FieldIssue {
  path: string;
  message: string;
  code: string;
}

export function issuesOf(error: ZodError): FieldIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
    code: i.code,
  }));
}

/** Zod's issues for one input, as clients show them: `{ title: ['Title is required'] }`. */
export function fieldErrorsOf(error: ZodError): Record<string, string[]> {
  return z.flattenError(error).fieldErrors as Record<string, string[]>;
}

export function describeIssues(issues: FieldIssue[]): string {
  const first = issues
    .slice(0, 3)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
  return `Invalid input: ${first}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''}`;
}

function validationOf(error: TRPCError): ZodError | undefined {
  return error.code === 'BAD_REQUEST' && error.cause instanceof z.ZodError
    ? (error.cause as ZodError)
    : undefined;
}

// ---- SQLSTATE translation ----

/**
 * Turns a failure from below the procedures into the error a client can act on,
 * or undefined to leave it alone.
 */
export function translateError(error: TRPCError): TRPCError | undefined {
  const cause = error.cause ?? error;
  if (error.code === 'SERVICE_UNAVAILABLE') return undefined;
  if (isDatabaseUnavailable(cause)) {
    return new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: 'The database is unavailable; try again shortly',
      cause,
    });
  }
  if (isStalePlan(cause)) {
    // A migration changed a table under a prepared statement; the connection re-prepares.
    return new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: 'The database schema changed under this request; try again',
      cause,
    });
  }
  const state = sqlState(cause);
  // Class 22 is "data exception": a value the database cannot take. Inputs are
  // validated before they get here, so this is the last line of defence.
  if (state?.startsWith('22')) {
    return new TRPCError({
      code: 'BAD_REQUEST',
      message: 'A value in the request cannot be stored; check its range and characters',
      cause,
    });
  }
  switch (state) {
    case '40001':
    case '40P01':
      return conflict('The change collided with a concurrent one; retry it', cause);
    case '23505':
      return conflict('That already exists', cause);
    case '23503':
    case '23514':
      return new TRPCError({
        code: 'UNPROCESSABLE_CONTENT',
        message: 'The change would break a rule of the data model',
        cause,
      });
    default:
      return undefined;
  }
}

// ---- Reporting: the one place a failed call is logged and counted ----

/** What the host counts about refusals (Prometheus in apps/api); optional everywhere. */
export interface ErrorMetrics {
  conflict(procedure: string): void;
}

/**
 * Called by both adapters (tRPC's onError, the REST route) for every failed call: a 500
 * is logged here, with its cause's stack, under the request's logger (so its request id);
 * refusals are only counted and logged at debug.
 */
export function reportError(
  error: TRPCError,
  procedure: string | undefined,
  logger: Logger,
  metrics?: ErrorMetrics,
): void {
  if (error.code === 'INTERNAL_SERVER_ERROR') {
    logger.error({ procedure, err: error.cause ?? error }, 'procedure failed');
    return;
  }
  if (error.code === 'CONFLICT' && procedure) metrics?.conflict(procedure);
  logger.debug({ procedure, code: error.code, error: error.message }, 'procedure refused');
}

// ---- Wire shapes ----

/** Headers a failed call's response carries, on tRPC and REST alike. */
export function errorHeaders(codes: Iterable<TRPCError['code']>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const code of codes) {
    if (code === 'UNAUTHORIZED') headers['www-authenticate'] = 'Bearer';
    if (code === 'SERVICE_UNAVAILABLE') Object.assign(headers, UNAVAILABLE_HEADERS);
  }
  return headers;
}

/** The message a client may read: never an internal one, validation spelled out. */
function publicMessage(error: TRPCError, issues: FieldIssue[] | undefined): string {
  if (error.code === 'INTERNAL_SERVER_ERROR') return 'Internal server error';
  return issues ? describeIssues(issues) : error.message;
}

/** tRPC's errorFormatter: the shape's data gains the field issues and the request's id. */
export function formatTrpcError(
  shape: TRPCErrorShape<{ code: string; httpStatus: number; path?: string }>,
  error: TRPCError,
  requestId: string | undefined,
) {
  const validation = validationOf(error);
  const issues = validation ? issuesOf(validation) : undefined;
  const details = detailsOf(error);
  return {
    message: publicMessage(error, issues),
    code: shape.code,
    data: {
      code: shape.data.code,
      httpStatus: shape.data.httpStatus,
      path: shape.data.path,
      ...(validation && { issues, fieldErrors: fieldErrorsOf(validation) }),
      ...(details && { details }),
      ...(requestId && { request_id: requestId }),
    },
  };
}

/** JSON-RPC's codes for the refusals an HTTP layer makes before tRPC sees a request. */
const JSON_RPC_CODES: Record<string, number> = {
  PARSE_ERROR: -32700,
  PAYLOAD_TOO_LARGE: -32013,
  UNSUPPORTED_MEDIA_TYPE: -32015,
};

/** A refusal made before tRPC ran (bad bytes, too big), in tRPC's wire shape. */
export function trpcRefusalBody(status: number, code: string, message: string, requestId: string) {
  return {
    error: {
      message,
      code: JSON_RPC_CODES[code] ?? -32600,
      data: { code, httpStatus: status, request_id: requestId },
    },
  };
}

/** The REST error body: `{ error, status_code, code, issues?, request_id }`. */
export function restErrorBody(
  status: number,
  code: string,
  message: string,
  requestId: string,
  issues?: FieldIssue[],
  details?: Record<string, unknown>,
): ErrorBody {
  return {
    error: message,
    status_code: status,
    code,
    ...(issues && { issues }),
    ...(details && { details }),
    request_id: requestId,
  };
}

export interface RestErrorReply {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

/** A failed call as REST answers it. `ifMatch`: the version came from If-Match, so staleness is 412. */
export function restErrorReply(
  error: TRPCError,
  requestId: string,
  ifMatch: boolean,
): RestErrorReply {
  if (ifMatch && error.cause instanceof StaleVersion) {
    return {
      status: 412,
      headers: {},
      body: restErrorBody(412, 'PRECONDITION_FAILED', error.message, requestId),
    };
  }
  const status = getHTTPStatusCodeFromError(error);
  const validation = validationOf(error);
  const issues = validation ? issuesOf(validation) : undefined;
  return {
    status,
    headers: errorHeaders([error.code]),
    body: restErrorBody(
      status,
      error.code,
      publicMessage(error, issues),
      requestId,
      issues,
      detailsOf(error),
    ),
  };
}
