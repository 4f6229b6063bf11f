import type { ServerResponse } from 'node:http';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

/**
 * How long a client should wait before retrying after a 503 (the database or
 * the identity provider is briefly unreachable: a restart, a failover).
 */
export const RETRY_AFTER_SECONDS = 2;

/** Headers every 503 carries, on tRPC and REST alike. */
export const UNAVAILABLE_HEADERS: Readonly<Record<string, string>> = {
  'retry-after': String(RETRY_AFTER_SECONDS),
};
