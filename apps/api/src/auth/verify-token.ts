import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';

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
}

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

export type TokenVerifier = (token: string) => Promise<JWTPayload & { sub: string }>;

function classify(error: unknown): TokenError {
  if (error instanceof errors.JWTExpired)
    return new TokenError('invalid', 'Token has expired', { cause: error });
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new TokenError('invalid', `Token claim '${error.claim}' is not accepted`, {
      cause: error,
    });
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new TokenError(
      'unavailable',
      'The identity provider is unavailable; try again shortly',
      {
        cause: error,
      },
    );
  }
  if (error instanceof errors.JOSEError) {
    // A non-200 answer from the JWKS endpoint is the key server's failure, not the caller's.
    if (error.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/.test(error.message)) {
      return new TokenError(
        'unavailable',
        'The identity provider is unavailable; try again shortly',
        {
          cause: error,
        },
      );
    }
    return new TokenError('invalid', 'Invalid token', { cause: error });
  }
  // fetch() failing (connection refused, DNS) surfaces as a plain TypeError.
  if (error instanceof TypeError || (error instanceof Error && error.name === 'AbortError')) {
    return new TokenError(
      'unavailable',
      'The identity provider is unavailable; try again shortly',
      {
        cause: error,
      },
    );
  }
  return new TokenError('invalid', 'Invalid token', { cause: error });
}

/**
 * Verifies bearer JWTs against a remote JWKS. Create one per process: the key
 * set is cached and refetched when a token names an unknown `kid` (rotation).
 */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const jwks = createRemoteJWKSet(options.jwksUrl, {
    timeoutDuration: options.jwksTimeoutMs ?? 5_000,
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    cacheMaxAge: 10 * 60_000,
  });
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        algorithms: ALLOWED_ALGORITHMS,
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: options.clockToleranceSec ?? 30,
        requiredClaims: ['exp', 'sub'],
      });
      if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) {
        throw new TokenError('invalid', "Token claim 'sub' is not accepted");
      }
      return payload as JWTPayload & { sub: string };
    } catch (error) {
      throw error instanceof TokenError ? error : classify(error);
    }
  };
}
