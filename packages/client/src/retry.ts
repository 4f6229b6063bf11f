// Retries for the client's fetch: network errors, 503 and 429, with exponential
// backoff and jitter, honouring Retry-After, bounded in attempts and in time.
// Safe for mutations because the client sends each one with an Idempotency-Key
// that stays the same across its retries (client.ts): the server answers a
// retry of a call that already committed with the stored outcome.

export interface RetryInfo {
  /** The attempt that just failed (1 = the first). */
  attempt: number;
  /** How long the client waits before the next one. */
  delayMs: number;
  /** `503`, `429` or `network`. */
  reason: string;
}

export interface RetryOptions {
  /** Most attempts per call, the first included. Default 4; 1 turns retries off. */
  attempts?: number;
  /** The first backoff; it doubles with each retry. Default 250 ms. */
  baseDelayMs?: number;
  /** The longest single wait, Retry-After included. Default 10 s. */
  maxDelayMs?: number;
  /** No retry starts once a wait would end later than this after the first attempt. Default 30 s. */
  totalMs?: number;
  /** Told about each retry before its wait (for logs and counters). */
  onRetry?: (info: RetryInfo) => void;
}

export const RETRY_DEFAULTS = {
  attempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  totalMs: 30_000,
} as const;

const RETRIED_STATUSES = new Set([429, 503]);

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with "equal jitter": half the step fixed, half random, so retries spread out. */
export function backoffMs(retry: number, baseDelayMs: number, maxDelayMs: number): number {
  const step = Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
  return step / 2 + Math.random() * (step / 2);
}

function sleep(ms: number, signal: AbortSignal | null | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/** fetch throws a TypeError when no response came (refused, reset, DNS); anything else is not ours to retry. */
function isNetworkError(error: unknown, signal: AbortSignal | null | undefined): boolean {
  return error instanceof TypeError && !signal?.aborted;
}

/** Wraps `inner` so failed attempts are retried; the request (headers, body) is sent unchanged each time. */
export function retryingFetch(inner: typeof fetch, options: RetryOptions = {}): typeof fetch {
  const attempts = Math.max(1, options.attempts ?? RETRY_DEFAULTS.attempts);
  const base = options.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs;
  const max = options.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  const total = options.totalMs ?? RETRY_DEFAULTS.totalMs;
  return async (input, init) => {
    const started = Date.now();
    const signal = init?.signal;
    for (let attempt = 1; ; attempt++) {
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await inner(input, init);
      } catch (error) {
        if (!isNetworkError(error, signal)) throw error;
        failure = error;
      }
      if (response && !RETRIED_STATUSES.has(response.status)) return response;
      const asked = response ? retryAfterMs(response.headers.get('retry-after')) : undefined;
      const delayMs = Math.min(max, asked ?? backoffMs(attempt - 1, base, max));
      const last = attempt >= attempts || Date.now() + delayMs - started > total;
      if (last) {
        if (response) return response;
        throw failure;
      }
      // The refused response's body is not wanted: release the connection.
      await response?.body?.cancel().catch(() => undefined);
      options.onRetry?.({
        attempt,
        delayMs,
        reason: response ? String(response.status) : 'network',
      });
      await sleep(delayMs, signal);
    }
  };
}
