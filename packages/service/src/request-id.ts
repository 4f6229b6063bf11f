import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What a caller may choose: short, printable, no spaces or quotes (it lands in logs and headers). */
const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,127}$/;

/** The caller's X-Request-Id when it is well formed (one value), otherwise a fresh UUID. */
export function requestIdFor(header: string | string[] | undefined): string {
  return typeof header === 'string' && WELL_FORMED.test(header) ? header : randomUUID();
}
