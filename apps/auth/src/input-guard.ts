import { isStorableText, LIMITS } from '@taskflow/contracts';
import { APIError, createAuthMiddleware } from 'better-auth/api';

/**
 * Where in a parsed JSON value (or query) a string hides that PostgreSQL
 * cannot store (NUL) or that is not Unicode (an unpaired surrogate, which
 * would be stored as U+FFFD, silently changed); undefined when there is none.
 */
export function unstorableText(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = unstorableText(item, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = unstorableText(key, path) ?? unstorableText(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

export const UNSTORABLE_TEXT = 'contains a NUL character or an unpaired surrogate';

/** Paths whose `name` becomes the person's name in tokens and on the board. */
const NAMED = new Set(['/sign-up/email', '/update-user']);

/**
 * Before Better Auth's endpoints: text it would store must be storable, and a
 * name must fit where the API keeps it (it also travels in every token and
 * the session cookie). Else 400, instead of a database error's 422 or 500.
 */
export const inputGuard = createAuthMiddleware(async (ctx) => {
  const where = unstorableText(ctx.body, 'body') ?? unstorableText(ctx.query, 'query');
  if (where)
    throw new APIError('BAD_REQUEST', {
      message: `${where} ${UNSTORABLE_TEXT}`,
      code: 'INVALID_TEXT',
    });
  const name: unknown = (ctx.body as { name?: unknown } | undefined)?.name;
  if (NAMED.has(ctx.path) && typeof name === 'string') {
    const length = name.trim().length;
    if (length === 0 || length > LIMITS.nameMax)
      throw new APIError('BAD_REQUEST', {
        message: `name must be 1 to ${LIMITS.nameMax} characters`,
        code: 'INVALID_NAME',
      });
  }
});
