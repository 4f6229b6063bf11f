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
    if (
      /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/i.test(
        message,
      )
    )
      return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

/** The PostgreSQL error code, when the error came from the server. */
export function sqlState(error: unknown): string | undefined {
  const code = codeOf(error);
  return code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
