/** Seconds before `exp` at which a token is treated as expired, so a request never races it. */
export const EXPIRY_MARGIN_SEC = 30;

export interface TokenClaims {
  sub: string;
  exp: number;
  name?: string;
  email?: string;
  role?: string;
  worker_type?: string;
}

/** Reads a JWT's claims without verifying it: the API verifies; the client only needs exp and sub. */
export function decodeClaims(token: string): TokenClaims | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as Partial<TokenClaims>;
    return typeof claims.sub === 'string' && typeof claims.exp === 'number'
      ? (claims as TokenClaims)
      : null;
  } catch {
    return null;
  }
}

export function isFresh(claims: TokenClaims | null, nowSec = Date.now() / 1000): boolean {
  return claims !== null && claims.exp - EXPIRY_MARGIN_SEC > nowSec;
}

/**
 * Holds the API token and trades the session cookie for a new one when it is
 * about to expire. Concurrent callers share one refresh.
 */
export class TokenManager {
  private token: string | null = null;
  private pending: Promise<string | null> | null = null;

  constructor(private readonly fetchToken: () => Promise<string | null>) {}

  async get(): Promise<string | null> {
    if (this.token && isFresh(decodeClaims(this.token))) return this.token;
    this.pending ??= this.fetchToken()
      .then((token) => {
        this.token = token;
        return token;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  /** Forget the token (the API refused it, or the user signed out). */
  clear(): void {
    this.token = null;
  }
}
