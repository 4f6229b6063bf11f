import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  AgentCreateInput,
  type AgentKey,
  AgentKeyIssueInput,
  type AgentSummary,
  type IssuedAgentKey,
} from '@taskflow/contracts';
import type { z } from 'zod';
import { type Auth, KEY_RATE_WINDOW_MS, tokenPayload } from './auth';
import type { Admin, AuthUser } from './callers';
import { AuthHttpError } from './http';

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  throw new AuthHttpError(
    400,
    'BAD_REQUEST',
    parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
  );
}

interface ApiKeyRow {
  id: string;
  name?: string | null;
  start?: string | null;
  enabled?: boolean | null;
  expiresAt?: Date | null;
  createdAt: Date;
  lastRequest?: Date | null;
  referenceId: string;
}

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

function toAgentKey(row: ApiKeyRow): AgentKey {
  return {
    id: row.id,
    name: row.name ?? null,
    start: row.start ?? null,
    enabled: row.enabled !== false,
    expires_at: iso(row.expiresAt),
    expired: row.expiresAt ? new Date(row.expiresAt).getTime() <= Date.now() : false,
    created_at: iso(row.createdAt) ?? '',
    last_used_at: iso(row.lastRequest),
  };
}

function slugOf(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'agent'
  );
}

async function issueKey(
  auth: Auth,
  agent: AuthUser,
  expiresInDays: number | undefined,
): Promise<IssuedAgentKey> {
  const key = await auth.api.createApiKey({
    body: {
      userId: agent.id,
      name: `agent ${slugOf(agent.name)}`.slice(0, 32),
      ...(expiresInDays && { expiresIn: expiresInDays * 86_400 }),
    },
  });
  return { api_key: key.key, key: toAgentKey(key as unknown as ApiKeyRow) };
}

/**
 * POST /api/agents (admin): registers an agent account and returns its API
 * key, shown once. The agent never gets a password.
 */
export async function createAgent(auth: Auth, admin: Admin, body: unknown) {
  const input = parse(AgentCreateInput, body);
  const ctx = await auth.$context;
  const agent = (await ctx.internalAdapter.createUser(
    {
      email: `${slugOf(input.name)}-${randomBytes(4).toString('hex')}@agents.taskflow.invalid`,
      name: input.name,
      emailVerified: true,
      role: 'user',
      kind: 'agent',
    },
    { method: 'admin' },
  )) as AuthUser;
  const { api_key, key } = await issueKey(auth, agent, input.expires_in_days);
  return {
    agent: { id: agent.id, name: agent.name, type: 'agent' as const, created_by: admin.id },
    api_key,
    key,
    note: 'Store the key now: it is not shown again. Exchange it at POST /api/agents/token (header x-api-key).',
  };
}

async function findAgent(auth: Auth, id: string): Promise<AuthUser> {
  const user = (await (await auth.$context).internalAdapter.findUserById(id)) as AuthUser | null;
  if (user?.kind !== 'agent') throw new AuthHttpError(404, 'NOT_FOUND', `No agent ${id}`);
  return user;
}

async function keysOf(auth: Auth, agentIds: string[]): Promise<ApiKeyRow[]> {
  if (agentIds.length === 0) return [];
  return (await auth.$context).adapter.findMany<ApiKeyRow>({
    model: 'apikey',
    where: [{ field: 'referenceId', operator: 'in', value: agentIds }],
    sortBy: { field: 'createdAt', direction: 'asc' },
  });
}

/** GET /api/agents (admin): every agent and its keys. */
export async function listAgents(auth: Auth): Promise<AgentSummary[]> {
  const agents = await (await auth.$context).adapter.findMany<AuthUser>({
    model: 'user',
    where: [{ field: 'kind', value: 'agent' }],
    sortBy: { field: 'createdAt', direction: 'asc' },
  });
  const keys = await keysOf(
    auth,
    agents.map((a) => a.id),
  );
  return agents.map((agent) => ({
    id: agent.id,
    name: agent.name,
    type: 'agent' as const,
    created_at: iso(agent.createdAt),
    keys: keys.filter((k) => k.referenceId === agent.id).map(toAgentKey),
  }));
}

/** GET /api/agents/{id}/keys (admin). */
export async function listAgentKeys(auth: Auth, agentId: string): Promise<AgentKey[]> {
  const agent = await findAgent(auth, agentId);
  return (await keysOf(auth, [agent.id])).map(toAgentKey);
}

/** POST /api/agents/{id}/keys (admin): another key for an agent, shown once. */
export async function issueAgentKey(auth: Auth, agentId: string, body: unknown) {
  const input = parse(AgentKeyIssueInput, body);
  const agent = await findAgent(auth, agentId);
  const { api_key, key } = await issueKey(auth, agent, input.expires_in_days);
  return { agent_id: agent.id, api_key, key };
}

/** DELETE /api/agents/{id}/keys/{keyId} (admin): the key stops working at once. */
export async function revokeAgentKey(auth: Auth, agentId: string, keyId: string) {
  const agent = await findAgent(auth, agentId);
  const adapter = (await auth.$context).adapter;
  const where = [
    { field: 'id', value: keyId },
    { field: 'referenceId', value: agent.id },
  ];
  const key = await adapter.findOne<ApiKeyRow>({ model: 'apikey', where });
  if (!key) throw new AuthHttpError(404, 'NOT_FOUND', `Agent ${agent.id} has no key ${keyId}`);
  await adapter.delete({ model: 'apikey', where });
  return { revoked: true, agent_id: agent.id, key_id: key.id };
}

/**
 * POST /api/agents/token: an agent trades its API key (x-api-key) for a
 * short-lived JWT for the API, with the same issuer, audience and keys as a
 * person's token. Only agents' keys do: a person signs in instead.
 */
/** 429 for a key over its limit, saying (in whole seconds) when its window frees a slot. */
export class KeyRateLimited extends AuthHttpError {
  constructor(readonly retryAfterSec: number) {
    super(429, 'TOO_MANY_REQUESTS', 'Too many exchanges for this key; slow down');
  }
}

/** The plugin's `details.tryAgainIn` (milliseconds), else the whole window. */
function retryAfterOf(error: unknown): number {
  const details = (error as { details?: { tryAgainIn?: unknown } } | null | undefined)?.details;
  const ms = details?.tryAgainIn;
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0
    ? Math.ceil(ms / 1000)
    : KEY_RATE_WINDOW_MS / 1000;
}

export async function exchangeAgentKey(auth: Auth, req: IncomingMessage) {
  const header = req.headers['x-api-key'];
  const key = Array.isArray(header) ? header[0] : header;
  if (!key)
    throw new AuthHttpError(401, 'UNAUTHORIZED', 'Send the API key in the x-api-key header');
  const result = await auth.api.verifyApiKey({ body: { key } });
  if (!result.valid || !result.key) {
    const code = result.error?.code;
    if (code === 'RATE_LIMITED') throw new KeyRateLimited(retryAfterOf(result.error));
    throw new AuthHttpError(401, 'UNAUTHORIZED', 'Invalid, expired or disabled API key');
  }
  const user = (await (
    await auth.$context
  ).internalAdapter.findUserById(result.key.referenceId)) as AuthUser | null;
  if (!user) throw new AuthHttpError(401, 'UNAUTHORIZED', 'The key belongs to no account');
  if (user.kind !== 'agent')
    throw new AuthHttpError(403, 'FORBIDDEN', "Only an agent's API key exchanges for a token");
  const { token } = await auth.api.signJWT({
    body: { payload: { sub: user.id, iat: Math.floor(Date.now() / 1000), ...tokenPayload(user) } },
  });
  // The agent's id is for the access line, not the answer.
  return { agentId: user.id, token, token_type: 'Bearer' as const };
}
