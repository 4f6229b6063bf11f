import { errors, type JWTPayload, jwtVerify } from 'jose';
import { createKeySet, KeySetUnavailable } from './key-set';

export const ALLOWED_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'];

export interface VerifierOptions {
  jwksUrl: URL;
  issuer?: string | undefined;
  audience?: string | undefined;
  /** Seconds of clock skew tolerated on exp / nbf / iat. */
  clockToleranceSec?: number;
  /** How long to wait for the JWKS endpoint. */
  jwksTimeoutMs?: number;
  /** Minimum time between two fetches of the key set (an unknown `kid` refetches after it). */
  jwksCooldownMs?: number;
  /** How often the key set is refreshed (in the background; the current one stays in use). */
  jwksMaxAgeMs?: number;
  /** How long past jwksMaxAgeMs the last good key set may be used while refreshes fail. */
  jwksStaleIfErrorMs?: number;
  /** The oldest token accepted, counted from its `iat`, whatever its `exp` says. */
  maxTokenAgeSec?: number;
  /** Told when a fetch of the key set fails. */
  onKeySetError?: (error: unknown) => void;
  /** How many verified tokens are remembered (0: verify every request). */
  verifiedTokenCacheSize?: number;
}

/** Defaults shared with the configuration. */
export const VERIFIER_DEFAULTS = {
  clockToleranceSec: 30,
  jwksTimeoutMs: 5_000,
  jwksCooldownMs: 30_000,
  jwksMaxAgeMs: 10 * 60_000,
  jwksStaleIfErrorMs: 24 * 3_600_000,
  maxTokenAgeSec: 24 * 3_600,
  verifiedTokenCacheSize: 10_000,
} as const;

/** Why a token was not accepted: the caller's fault (401) or the key server's (503). */
export class TokenError extends Error {
  constructor(
    public readonly kind: 'invalid' | 'unavailable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TokenError';
  }
}

type VerifiedPayload = JWTPayload & { sub: string; exp: number; iat: number };
export type TokenVerifier = (token: string) => Promise<JWTPayload & { sub: string }>;

/** Longest a verified token is taken on trust before its signature is checked again. */
const TRUSTED_FOR_MS = 60_000;

/**
 * Tokens already verified, so a client sending the same bearer token on every call pays for
 * the signature check once a minute, not per request. An entry holds until the first of: the
 * token's `exp`, its maximum age, a minute, or a new copy of the key set (a withdrawn key stops
 * working as soon as the set is refetched). Failures are never kept. Bounded: the oldest entry
 * goes first.
 */
class VerifiedTokens {
  private readonly entries = new Map<
    string,
    { payload: VerifiedPayload; until: number; generation: number }
  >();
  constructor(private readonly max: number) {}

  get(token: string, generation: number): VerifiedPayload | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.generation === generation && Date.now() < entry.until) return entry.payload;
    this.entries.delete(token);
    return undefined;
  }

  set(token: string, payload: VerifiedPayload, generation: number, maxAgeSec: number): void {
    if (this.max === 0) return;
    const until = Math.min(
      payload.exp * 1000,
      (payload.iat + maxAgeSec) * 1000,
      Date.now() + TRUSTED_FOR_MS,
    );
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { payload, until, generation });
  }
}

function classify(error: unknown): TokenError {
  if (error instanceof KeySetUnavailable) {
    return new TokenError(
      'unavailable',
      'The identity provider is unavailable; try again shortly',
      {
        cause: error,
      },
    );
  }
  if (error instanceof errors.JWTExpired) {
    // With maxTokenAge, jose reports a token issued too long ago as expired on `iat`.
    const message =
      error.claim === 'iat' ? 'Token is older than the maximum token age' : 'Token has expired';
    return new TokenError('invalid', message, { cause: error });
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new TokenError('invalid', `Token claim '${error.claim}' is not accepted`, {
      cause: error,
    });
  }
  return new TokenError('invalid', 'Invalid token', { cause: error });
}

/**
 * Verifies bearer JWTs against a remote JWKS. Create one per process: the key
 * set is cached, refetched when a token names an unknown `kid` (rotation), and
 * its last good copy outlives a key server outage.
 */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const keySet = createKeySet({
    url: options.jwksUrl,
    timeoutMs: options.jwksTimeoutMs ?? VERIFIER_DEFAULTS.jwksTimeoutMs,
    cooldownMs: options.jwksCooldownMs ?? VERIFIER_DEFAULTS.jwksCooldownMs,
    maxAgeMs: options.jwksMaxAgeMs ?? VERIFIER_DEFAULTS.jwksMaxAgeMs,
    staleIfErrorMs: options.jwksStaleIfErrorMs ?? VERIFIER_DEFAULTS.jwksStaleIfErrorMs,
    ...(options.onKeySetError && { onFetchError: options.onKeySetError }),
  });
  const cache = new VerifiedTokens(
    options.verifiedTokenCacheSize ?? VERIFIER_DEFAULTS.verifiedTokenCacheSize,
  );
  const maxTokenAgeSec = options.maxTokenAgeSec ?? VERIFIER_DEFAULTS.maxTokenAgeSec;
  return async (token) => {
    // Taken before verifying: a refresh finishing meanwhile must not vouch for the old copy.
    const generation = keySet.generation();
    const known = keySet.due() ? undefined : cache.get(token, generation);
    if (known) return known;
    try {
      const { payload } = await jwtVerify(token, keySet.resolve, {
        algorithms: ALLOWED_ALGORITHMS,
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: options.clockToleranceSec ?? VERIFIER_DEFAULTS.clockToleranceSec,
        // Also refuses an `iat` in the future beyond the clock tolerance.
        maxTokenAge: maxTokenAgeSec,
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      if (
        typeof payload.sub !== 'string' ||
        payload.sub.trim() === '' ||
        payload.sub.length > 255
      ) {
        throw new TokenError('invalid', "Token claim 'sub' is not accepted");
      }
      const verified = payload as VerifiedPayload;
      cache.set(token, verified, generation, maxTokenAgeSec);
      return verified;
    } catch (error) {
      throw error instanceof TokenError ? error : classify(error);
    }
  };
}
