import { AuthenticationError, TokenCache, type TokenSource } from '@taskflow/client';
import { CliError, EXIT, exitCodeFor } from './exit-codes';

/** The identity service's own JSON endpoints, called with a bearer token (so no Origin is needed). */
export interface AuthApi {
  request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

export function createAuthApi(authUrl: string, source: TokenSource): AuthApi {
  const tokens = new TokenCache(source);
  const base = authUrl.replace(/\/$/, '');
  return {
    async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
      let token: string;
      try {
        token = await tokens.get();
      } catch (error) {
        if (error instanceof AuthenticationError)
          throw new CliError(error.message, EXIT.notLoggedIn);
        throw error;
      }
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
      } catch (error) {
        throw new CliError(
          `Cannot reach the identity service at ${base}: ${(error as Error).message}`,
          EXIT.unavailable,
        );
      }
      const payload = (await res.json().catch(() => undefined)) as
        | { error?: string; code?: string }
        | undefined;
      if (!res.ok)
        throw new CliError(
          payload?.error ?? `${res.status} ${res.statusText}`,
          exitCodeFor(res.status, payload?.code),
        );
      return payload as T;
    },
  };
}
