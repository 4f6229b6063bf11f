/** What scripts can rely on: one code per kind of failure. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notLoggedIn: 3,
  notFound: 4,
  conflict: 5,
  forbidden: 6,
  invalid: 7,
  unavailable: 8,
} as const;

export function exitCodeFor(status: number | undefined, code: string | undefined): number {
  if (code === 'UNAUTHORIZED' || status === 401) return EXIT.notLoggedIn;
  // Each of these says "retry later": the service, or the caller's rate limit.
  if (code === 'NETWORK' || status === 503 || status === 502 || status === 504 || status === 429)
    return EXIT.unavailable;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 412) return EXIT.conflict;
  if (status === 403) return EXIT.forbidden;
  if (status === 400 || status === 422 || status === 413) return EXIT.invalid;
  return EXIT.failure;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
