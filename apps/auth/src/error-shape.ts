import { errorBody } from '@taskflow/service';

/** Codes for the statuses Better Auth answers without a body of its own. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
};

export type ErrorBody = ReturnType<typeof errorBody> & Record<string, unknown>;

/**
 * A Better Auth refusal in the shared error shape. Its own `{ message, code }` is kept
 * alongside (a superset), since Better Auth's browser client reads `message` and `code`.
 */
export function sharedErrorBody(
  status: number,
  text: string,
  requestId: string,
  fallbackMessage: string,
): ErrorBody {
  const fallbackCode =
    CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
  let own: Record<string, unknown> = {};
  try {
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      own = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the status speaks for itself.
  }
  const message = typeof own.message === 'string' && own.message ? own.message : fallbackMessage;
  const code = typeof own.code === 'string' && own.code ? own.code : fallbackCode;
  return { ...own, ...errorBody(status, code, message, requestId), message };
}
