import type { IncomingMessage } from 'node:http';
import { isAPIError } from 'better-auth/api';
import { fromNodeHeaders } from 'better-auth/node';
import type { Auth } from './auth';
import { AuthHttpError } from './http';

export interface AuthUser {
  id: string;
  email: string;
  name: string;
  role?: unknown;
  kind?: unknown;
  createdAt?: Date;
}

/** An admin, as the database says now (not as a cached session or token said). */
export type Admin = AuthUser & { role: 'admin' };

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * A request carried by a cookie is one a browser may send on another site's
 * behalf. Changes need the Origin of a page we trust; reads refuse a foreign
 * Origin (browsers omit it on same-origin GETs, so its absence is fine there).
 */
function checkOrigin(req: IncomingMessage, trustedOrigins: readonly string[]): void {
  const origin = req.headers.origin;
  if (origin === undefined && SAFE_METHODS.has(req.method ?? 'GET')) return;
  if (origin !== undefined && trustedOrigins.includes(origin)) return;
  throw new AuthHttpError(
    403,
    'FORBIDDEN',
    origin === undefined
      ? 'A request signed in by cookie must come from a trusted Origin'
      : `Origin ${origin} is not trusted`,
  );
}

/** The caller, from a bearer JWT minted here or from a session cookie (then from a trusted page). */
export async function caller(
  auth: Auth,
  req: IncomingMessage,
  trustedOrigins: readonly string[],
): Promise<AuthUser> {
  const ctx = await auth.$context;
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    const verified = bearer
      ? await auth.api.verifyJWT({ body: { token: bearer } }).catch(() => null)
      : null;
    const sub = verified?.payload?.sub;
    const user = sub ? await ctx.internalAdapter.findUserById(sub) : null;
    if (!user) throw new AuthHttpError(401, 'UNAUTHORIZED', 'Invalid or expired token');
    return user as AuthUser;
  }
  const session = await auth.api
    .getSession({ headers: fromNodeHeaders(req.headers) })
    // An ended session (its cookie cache outliving it) is refused, like no session.
    .catch((error: unknown) => {
      if (isAPIError(error) && error.statusCode === 401) return null;
      throw error;
    });
  if (!session)
    throw new AuthHttpError(401, 'UNAUTHORIZED', 'Sign in first (session cookie or bearer token)');
  checkOrigin(req, trustedOrigins);
  // The session cookie caches the user for minutes; a demotion must count at once.
  const user = await ctx.internalAdapter.findUserById(session.user.id);
  if (!user) throw new AuthHttpError(401, 'UNAUTHORIZED', 'The account no longer exists');
  return user as AuthUser;
}

export async function requireAdmin(
  auth: Auth,
  req: IncomingMessage,
  trustedOrigins: readonly string[],
): Promise<Admin> {
  const user = await caller(auth, req, trustedOrigins);
  if (user.role !== 'admin' || user.kind === 'agent')
    throw new AuthHttpError(403, 'FORBIDDEN', 'Admins only');
  return user as Admin;
}
