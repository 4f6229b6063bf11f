import { createHash } from 'node:crypto';
import { HttpError } from '@taskflow/http-guard';
import { decodeJwt } from 'jose';

/** Renew this long before `exp`, so no call races its token's expiry. */
const MARGIN_SEC = 30;
/** Keys remembered at once; the oldest is forgotten first. */
const MAX_KEYS = 1_000;

/** The token's `exp`, unverified (the API verifies the token itself on every call). */
function expiryOf(token: string): number | undefined {
  try {
    return decodeJwt(token).exp;
  } catch {
    return undefined;
  }
}

/** The identity service's refusal, with its Retry-After when it asks the key to slow down. */
export class KeyRefused extends HttpError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly retryAfter?: string,
  ) {
    super(status, code, message);
  }
}

/** Agent API keys look like this (Better Auth's prefix on the identity service). */
export const AGENT_KEY_PREFIX = 'tf_';

/**
 * Trades an agent's API key for a JWT at the identity service (POST /api/agents/token,
 * as @taskflow/client does) and keeps it until shortly before it expires: the API
 * itself only verifies JWTs. Keys are held by hash; concurrent requests with one key
 * share one exchange; failures are not remembered.
 */
export class AgentKeyExchange {
  private readonly tokens = new Map<string, Promise<string>>();

  constructor(private readonly authUrl: string) {}

  async token(key: string): Promise<string> {
    const id = createHash('sha256').update(key).digest('base64url');
    const cached = this.tokens.get(id);
    if (cached) {
      const token = await cached.catch(() => undefined);
      const exp = token ? expiryOf(token) : undefined;
      if (token && (exp === undefined || exp - MARGIN_SEC > Date.now() / 1000)) return token;
      if (this.tokens.get(id) === cached) this.tokens.delete(id);
    }
    const pending = this.exchange(key);
    this.tokens.set(id, pending);
    pending.catch(() => {
      if (this.tokens.get(id) === pending) this.tokens.delete(id);
    });
    if (this.tokens.size > MAX_KEYS) {
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
    return pending;
  }

  private async exchange(key: string): Promise<string> {
    let res: Response;
    try {
      res = await fetch(`${this.authUrl}/api/agents/token`, {
        method: 'POST',
        headers: { 'x-api-key': key },
        signal: AbortSignal.timeout(5_000),
      });
    } catch {
      throw new HttpError(503, 'SERVICE_UNAVAILABLE', 'The identity service cannot be reached');
    }
    const body = (await res.json().catch(() => ({}))) as {
      token?: unknown;
      error?: { message?: unknown } | string;
      message?: unknown;
    };
    if (res.ok && typeof body.token === 'string') return body.token;
    const said =
      typeof body.error === 'object' && typeof body.error?.message === 'string'
        ? body.error.message
        : typeof body.message === 'string'
          ? body.message
          : res.statusText;
    if (res.status === 401 || res.status === 403)
      throw new HttpError(401, 'UNAUTHORIZED', `The API key was refused: ${said}`);
    if (res.status === 429)
      throw new KeyRefused(
        429,
        'TOO_MANY_REQUESTS',
        `The API key was refused: ${said}`,
        res.headers.get('retry-after') ?? undefined,
      );
    throw new HttpError(
      503,
      'SERVICE_UNAVAILABLE',
      'The identity service could not exchange the key',
    );
  }
}
