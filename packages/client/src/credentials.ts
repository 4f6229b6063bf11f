/** Seconds before `exp` at which a token is renewed, so no request races its expiry. */
const MARGIN_SEC = 30;

export function tokenExpiry(token: string): number | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    // atob, not Buffer: the web app shares this code.
    const claims = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as {
      exp?: unknown;
    };
    return typeof claims.exp === 'number' ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}

export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

/** Where bearer tokens come from. */
export type TokenSource = () => Promise<string>;

/** A fixed token (e.g. TASKFLOW_TOKEN); it cannot be renewed. */
export function staticToken(token: string): TokenSource {
  return async () => token;
}

async function exchange(url: string, init: RequestInit, what: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (error) {
    throw new AuthenticationError(
      `Cannot reach the identity service at ${new URL(url).origin}: ${(error as Error).message}`,
    );
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
    throw new AuthenticationError(
      `${what} was refused (${res.status}): ${body.error ?? body.message ?? res.statusText}`,
    );
  }
  const { token } = (await res.json()) as { token?: string };
  if (!token) throw new AuthenticationError(`${what} returned no token`);
  return token;
}

/** An agent's API key, exchanged for a short-lived JWT at the identity service. */
export function apiKeyToken(authUrl: string, apiKey: string): TokenSource {
  return () =>
    exchange(
      `${authUrl.replace(/\/$/, '')}/api/agents/token`,
      { method: 'POST', headers: { 'x-api-key': apiKey } },
      'The API key',
    );
}

/** A person's session (the Better Auth session cookie), exchanged for a JWT. */
export function sessionToken(authUrl: string, sessionCookie: string): TokenSource {
  return () =>
    exchange(
      `${authUrl.replace(/\/$/, '')}/api/auth/token`,
      { headers: { cookie: sessionCookie } },
      'The session',
    );
}

/**
 * Caches a renewable token and renews it shortly before it expires, or when
 * the API says it is no longer good. Concurrent callers share one renewal.
 */
export class TokenCache {
  private token: string | undefined;
  private pending: Promise<string> | undefined;

  constructor(private readonly source: TokenSource) {}

  async get(): Promise<string> {
    const exp = this.token ? tokenExpiry(this.token) : undefined;
    if (this.token && (exp === undefined || exp - MARGIN_SEC > Date.now() / 1000))
      return this.token;
    this.pending ??= this.source()
      .then((token) => {
        this.token = token;
        return token;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  invalidate(): void {
    this.token = undefined;
  }
}
