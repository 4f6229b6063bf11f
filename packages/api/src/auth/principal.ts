import {
  isEmailAddress,
  isStorableText,
  LIMITS,
  truncateText,
  type UserRole,
} from '@taskflow/contracts';
import type { JWTPayload } from 'jose';

/** Who a verified token says the caller is. */
export interface Principal {
  id: string;
  role: UserRole;
  /** A display name from the token, if it carries one. */
  name: string | undefined;
  /** The token's `email` claim, lower-cased, when it is a plausible address. */
  email?: string;
  /**
   * What the issuer says the caller is (`worker_type` claim). Used only when
   * the worker is first registered; afterwards the registry decides.
   */
  workerType?: 'human' | 'agent';
  /** When the token stops being valid (ms since the epoch), if it says. */
  expiresAt?: number;
}

/** `role` may be a string, a comma-separated list (Better Auth's admin plugin) or an array. */
function hasAdminRole(role: unknown): boolean {
  if (Array.isArray(role)) return role.includes('admin');
  if (typeof role === 'string') return role.split(',').some((r) => r.trim() === 'admin');
  return false;
}

/** An address worth storing for look-ups; anything else is ignored rather than refused. */
function emailOf(claim: unknown): string | undefined {
  if (typeof claim !== 'string') return undefined;
  const email = claim.trim().toLowerCase();
  return isEmailAddress(email) && isStorableText(email) ? email : undefined;
}

export function principalFromClaims(claims: JWTPayload & { sub: string }): Principal {
  const name = [claims.name, claims.email, claims.preferred_username].find(
    (v): v is string => typeof v === 'string' && v.trim().length > 0,
  );
  const email = emailOf(claims.email);
  return {
    id: claims.sub,
    role: hasAdminRole(claims.role) ? 'admin' : 'user',
    name: name && truncateText(name.trim(), LIMITS.nameMax),
    ...(email && { email }),
    workerType: claims.worker_type === 'agent' ? 'agent' : 'human',
    ...(typeof claims.exp === 'number' && { expiresAt: claims.exp * 1000 }),
  };
}

/**
 * The claim the API would store (as the worker's id or name) but PostgreSQL
 * cannot hold unchanged, if any: the issuer's data, refused rather than altered.
 */
export function unstorableClaim(principal: Principal): 'sub' | 'name' | undefined {
  if (!isStorableText(principal.id)) return 'sub';
  if (principal.name !== undefined && !isStorableText(principal.name)) return 'name';
  return undefined;
}
