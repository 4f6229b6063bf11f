import { isStorableText, LIMITS } from '@taskflow/contracts';
import { APIError, createAuthMiddleware } from 'better-auth/api';

/** No form of this service nests deeper; anything deeper is refused, not walked. */
export const MAX_DEPTH = 32;

/**
 * What is wrong with a parsed JSON value (or query), and where: a string
 * PostgreSQL cannot store (NUL) or that is not Unicode (an unpaired surrogate,
 * which would be stored as U+FFFD, silently changed), or nesting deeper than
 * any form needs. Walked with a stack of its own: a hostile body must not
 * overflow the process's. Undefined when nothing is wrong.
 */
export function badInput(value: unknown, path: string): string | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value: item, path: at, depth } = next;
    if (typeof item === 'string') {
      if (!isStorableText(item)) return `${at} ${UNSTORABLE_TEXT}`;
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    if (depth >= MAX_DEPTH) return `${at} is nested more than ${MAX_DEPTH} levels deep`;
    if (Array.isArray(item)) {
      item.forEach((entry, i) => {
        pending.push({ value: entry, path: `${at}[${i}]`, depth: depth + 1 });
      });
      continue;
    }
    for (const [key, entry] of Object.entries(item)) {
      if (!isStorableText(key)) return `${at} has a key that ${UNSTORABLE_TEXT}`;
      pending.push({ value: entry, path: `${at}.${key}`, depth: depth + 1 });
    }
  }
  return undefined;
}

const UNSTORABLE_TEXT = 'contains a NUL character or an unpaired surrogate';

/** Paths whose `name` becomes the person's name in tokens and on the board. */
const NAMED = new Set(['/sign-up/email', '/update-user']);

/**
 * Before Better Auth's endpoints: text it would store must be storable, and a
 * name must fit where the API keeps it (it also travels in every token and
 * the session cookie). Else 400, instead of a database error's 422 or 500.
 */
export const inputGuard = createAuthMiddleware(async (ctx) => {
  const problem = badInput(ctx.body, 'body') ?? badInput(ctx.query, 'query');
  if (problem)
    throw new APIError('BAD_REQUEST', {
      message: problem,
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
