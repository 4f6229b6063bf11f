const SECOND = 1000;
const HOUR = 3600 * SECOND;

/** How webhooks are delivered and retried: one definition, read from WEBHOOK_* by the host. */
export interface WebhookSettings {
  /** Allow endpoints on private, loopback and link-local addresses (tests, development). */
  allowPrivateNetworks: boolean;
  /** The longest one POST may take, connection included. */
  timeoutMs: number;
  /** The first retry comes after a random delay in [base/2, base]; each later one doubles. */
  retryBaseMs: number;
  /** The longest wait between two attempts. */
  retryMaxMs: number;
  /** A message not delivered this long after the change is given up on (status dead). */
  maxAgeMs: number;
  /** An endpoint is disabled after this many failed attempts in a row ... */
  disableAfterFailures: number;
  /** ... spanning at least this long (a short outage does not disable it). */
  disableAfterMs: number;
  /** How long a rotated-out secret keeps signing beside the new one. */
  secretGraceMs: number;
  /** Messages one dispatcher claims at a time (and delivers concurrently). */
  batchSize: number;
  /** The most of an endpoint's answer kept for the delivery log. */
  maxResponseBytes: number;
  /** Settled messages (delivered or dead) and their delivery log are kept this long. */
  logRetentionMs: number;
}

export const WEBHOOK_DEFAULTS: WebhookSettings = {
  allowPrivateNetworks: false,
  timeoutMs: 10 * SECOND,
  retryBaseMs: 5 * SECOND,
  retryMaxMs: HOUR,
  maxAgeMs: 24 * HOUR,
  disableAfterFailures: 20,
  disableAfterMs: 12 * HOUR,
  secretGraceMs: 24 * HOUR,
  batchSize: 20,
  maxResponseBytes: 1024,
  logRetentionMs: 7 * 24 * HOUR,
};

/** The wait before attempt `attempts + 1`, after `attempts` failed: exponential, with jitter. */
export function retryDelayMs(settings: WebhookSettings, attempts: number): number {
  const ceiling = Math.min(
    settings.retryMaxMs,
    settings.retryBaseMs * 2 ** Math.max(0, attempts - 1),
  );
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
