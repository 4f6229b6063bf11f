import {
  type CryptoKey,
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type LocalJWKSet,
} from 'jose';

export interface KeySetOptions {
  url: URL;
  /** How long one fetch may take. */
  timeoutMs: number;
  /** Least time between two fetch attempts, successful or not (an unknown kid refetches after it). */
  cooldownMs: number;
  /** After this long the set is refreshed in the background; it stays in use meanwhile. */
  maxAgeMs: number;
  /**
   * How long past maxAge the last good set may still be used while every
   * refresh fails (RFC 5861's stale-if-error). After that, tokens get 503.
   */
  staleIfErrorMs: number;
  /** Told about every failed fetch (the key server is down or answers nonsense). */
  onFetchError?: (error: unknown) => void;
}

/** The key server could not give us keys we may use: the identity provider's fault (503). */
export class KeySetUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeySetUnavailable';
  }
}

export type KeyResolver = (
  header: JWSHeaderParameters,
  token: FlattenedJWSInput,
) => Promise<CryptoKey>;

export interface KeySet {
  resolve: KeyResolver;
  /** Changes whenever a fetch brings a new copy of the set (what was verified before may not hold). */
  generation(): number;
  /** The copy in hand is due for a refresh (or there is none): verify against the key server again. */
  due(): boolean;
}

async function fetchKeySet(url: URL, timeoutMs: number): Promise<LocalJWKSet> {
  const response = await fetch(url, {
    headers: { accept: 'application/json, application/jwk-set+json' },
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`the key set answered ${response.status}`);
  }
  // jose checks the shape and throws JWKSInvalid for anything else: that keeps the last good set.
  return createLocalJWKSet((await response.json()) as JSONWebKeySet);
}

/**
 * A remote JWKS that keeps its last good copy. jose's createRemoteJWKSet drops
 * its keys once they are cacheMaxAge old and then refuses every token while the
 * key server is down; here the last good set keeps verifying known keys for
 * staleIfErrorMs more, and only a key never seen (or a set too old) is a 503.
 */
export function createKeySet(options: KeySetOptions): KeySet {
  let current: { keys: LocalJWKSet; fetchedAt: number } | undefined;
  let generation = 0;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let lastFailure: unknown;
  let pending: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    if (!pending) {
      lastAttemptAt = Date.now();
      pending = fetchKeySet(options.url, options.timeoutMs)
        .then(
          (keys) => {
            current = { keys, fetchedAt: Date.now() };
            generation += 1;
            lastFailure = undefined;
          },
          (error: unknown) => {
            lastFailure = error;
            options.onFetchError?.(error);
          },
        )
        .finally(() => {
          pending = undefined;
        });
    }
    return pending;
  };
  const mayRefresh = () =>
    pending !== undefined || Date.now() - lastAttemptAt >= options.cooldownMs;
  const unavailable = (why: string) =>
    new KeySetUnavailable(`The identity provider's key set ${why}`, { cause: lastFailure });

  const resolve: KeyResolver = async (header, token) => {
    // No keys at all yet: every request may try (there is nothing else to go on).
    if (!current) await refresh();
    if (!current) throw unavailable('could not be fetched');

    const age = Date.now() - current.fetchedAt;
    if (age >= options.maxAgeMs && mayRefresh()) {
      const refreshing = refresh();
      // Past its stale-if-error window the old set is not enough on its own: wait for the new one.
      if (age >= options.maxAgeMs + options.staleIfErrorMs) await refreshing;
    }
    if (Date.now() - current.fetchedAt >= options.maxAgeMs + options.staleIfErrorMs) {
      throw unavailable('could not be refreshed and the last good copy is too old');
    }

    try {
      return await current.keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // An unknown kid may be a freshly rotated key: look again (not within the cooldown).
      if (mayRefresh()) {
        await refresh();
        if (lastFailure === undefined) return current.keys(header, token);
      }
      // The key server is failing, so "unknown" may just mean "too new to have seen".
      if (lastFailure !== undefined) throw unavailable('could not be fetched to find this key');
      throw error;
    }
  };
  return {
    resolve,
    generation: () => generation,
    due: () => !current || Date.now() - current.fetchedAt >= options.maxAgeMs,
  };
}
