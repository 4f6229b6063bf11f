import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { fromNodeHeaders } from 'better-auth/node';
import { z } from 'zod';
import { type Auth, tokenPayload } from './auth';

export class AuthHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface AuthUser {
  id: string;
  email: string;
  name: string;
  role?: unknown;
  kind?: unknown;
}

/** The caller, from a session cookie or a bearer JWT minted here. */
async function caller(auth: Auth, req: IncomingMessage): Promise<AuthUser> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (bearer) {
    const verified = await auth.api.verifyJWT({ body: { token: bearer } }).catch(() => null);
    const sub = verified?.payload?.sub;
    const user = sub ? await (await auth.$context).internalAdapter.findUserById(sub) : null;
    if (!user) throw new AuthHttpError(401, 'UNAUTHORIZED', 'Invalid or expired token');
    return user as AuthUser;
  }
  const session = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
  if (!session)
    throw new AuthHttpError(401, 'UNAUTHORIZED', 'Sign in first (session cookie or bearer token)');
  return session.user as AuthUser;
}

const CreateAgentInput = z.strictObject({
  name: z.string().trim().min(1).max(120),
  /** Optional key lifetime in days; keys do not expire by default. */
  expires_in_days: z.number().int().min(1).max(365).optional(),
});

/**
 * POST /api/agents (admin): registers an agent account and returns its API
 * key, shown once. The agent never gets a password.
 */
export async function createAgent(auth: Auth, req: IncomingMessage, body: unknown) {
  const admin = await caller(auth, req);
  if (admin.role !== 'admin') throw new AuthHttpError(403, 'FORBIDDEN', 'Admins only');
  const parsed = CreateAgentInput.safeParse(body ?? {});
  if (!parsed.success) {
    throw new AuthHttpError(
      400,
      'BAD_REQUEST',
      parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  }
  const ctx = await auth.$context;
  const slug =
    parsed.data.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'agent';
  const agent = await ctx.internalAdapter.createUser(
    {
      email: `${slug}-${randomBytes(4).toString('hex')}@agents.taskflow.invalid`,
      name: parsed.data.name,
      emailVerified: true,
      role: 'user',
      kind: 'agent',
    },
    { method: 'admin' },
  );
  const key = await auth.api.createApiKey({
    body: {
      userId: agent.id,
      name: `agent ${slug}`.slice(0, 32),
      ...(parsed.data.expires_in_days && { expiresIn: parsed.data.expires_in_days * 86_400 }),
    },
  });
  return {
    agent: { id: agent.id, name: agent.name, type: 'agent' as const, created_by: admin.id },
    api_key: key.key,
    note: 'Store the key now: it is not shown again. Exchange it at POST /api/agents/token (header x-api-key).',
  };
}

/**
 * POST /api/agents/token: an agent trades its API key (x-api-key) for a
 * short-lived JWT for the API, with the same issuer, audience and keys as a
 * person's token.
 */
export async function exchangeAgentKey(auth: Auth, req: IncomingMessage) {
  const header = req.headers['x-api-key'];
  const key = Array.isArray(header) ? header[0] : header;
  if (!key)
    throw new AuthHttpError(401, 'UNAUTHORIZED', 'Send the API key in the x-api-key header');
  const result = await auth.api.verifyApiKey({ body: { key } });
  if (!result.valid || !result.key) {
    const code = result.error?.code;
    if (code === 'RATE_LIMITED')
      throw new AuthHttpError(
        429,
        'TOO_MANY_REQUESTS',
        'Too many exchanges for this key; slow down',
      );
    throw new AuthHttpError(401, 'UNAUTHORIZED', 'Invalid, expired or disabled API key');
  }
  const user = (await (
    await auth.$context
  ).internalAdapter.findUserById(result.key.referenceId)) as AuthUser | null;
  if (!user) throw new AuthHttpError(401, 'UNAUTHORIZED', 'The key belongs to no account');
  const { token } = await auth.api.signJWT({
    body: { payload: { sub: user.id, iat: Math.floor(Date.now() / 1000), ...tokenPayload(user) } },
  });
  return { token, token_type: 'Bearer' };
}
