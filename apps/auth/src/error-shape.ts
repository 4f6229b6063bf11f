import { codeForStatus, errorBody } from '@taskflow/service';

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
  const fallbackCode = codeForStatus(status);
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
