/** SQLSTATEs and socket errors that mean "the database cannot be reached right now". */
const UNAVAILABLE_SQLSTATE_PREFIXES = ['08', '53', '57P'];
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * What pg and Kysely say when a connection is gone, without a code: the socket
 * closed ('Connection terminated unexpectedly', '... due to connection timeout'),
 * a later query (often the ROLLBACK) on the dead client, or Kysely reusing a
 * connection it had given up on.
 */
const LOST_CONNECTION_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|Postgres connection has been discarded/i;

function codeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = codeOf(e);
    if (code && UNAVAILABLE_SOCKET_CODES.has(code)) return true;
    if (code && code.length === 5 && UNAVAILABLE_SQLSTATE_PREFIXES.some((p) => code.startsWith(p)))
      return true;
    if (e instanceof AggregateError && e.errors.some(isDatabaseUnavailable)) return true;
    const message = e instanceof Error ? e.message : '';
    if (LOST_CONNECTION_MESSAGES.test(message)) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

/** The PostgreSQL error code, when the error came from the server. */
export function sqlState(error: unknown): string | undefined {
  const code = codeOf(error);
  return code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
