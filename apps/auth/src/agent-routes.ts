import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  createAgent,
  exchangeAgentKey,
  issueAgentKey,
  KeyRateLimited,
  listAgentKeys,
  listAgents,
  revokeAgentKey,
} from './agents';
import { answer } from './answer';
import type { Auth } from './auth';
import { requireAdmin } from './callers';
import { AuthHttpError, checkedBody, requireJson } from './http';

/** Ids as Better Auth makes them; anything else names no agent or key. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

interface AgentParams {
  agentId: string;
}
interface KeyParams extends AgentParams {
  keyId: string;
}

function checkIds(request: FastifyRequest, ids: string[]): void {
  if (!ids.every((id) => ID.test(id)))
    throw new AuthHttpError(
      404,
      'NOT_FOUND',
      `No route for ${request.method} ${request.url.split('?')[0]}`,
    );
}

/** The agent endpoints: admins list agents and issue and revoke keys; agents trade keys for tokens. */
export function agentRoutes(auth: Auth, trustedOrigins: readonly string[]) {
  const admin = async (request: FastifyRequest) => {
    const user = await requireAdmin(auth, request.raw, trustedOrigins);
    request.principalId = user.id;
    return user;
  };
  return async (app: FastifyInstance) => {
    app.get('/api/agents', (request, reply) =>
      answer(request, reply, async () => {
        await admin(request);
        return listAgents(auth);
      }),
    );

    app.post('/api/agents', { onRequest: requireJson }, (request, reply) =>
      answer(request, reply, async () => {
        const body = checkedBody(request.body);
        const created = await createAgent(auth, await admin(request), body);
        reply.code(201);
        return created;
      }),
    );

    app.post('/api/agents/token', (request, reply) =>
      answer(request, reply, async () => {
        try {
          const { agentId, ...token } = await exchangeAgentKey(auth, request.raw);
          request.principalId = agentId;
          return token;
        } catch (error) {
          // Headers set here survive into the error handler's answer.
          if (error instanceof KeyRateLimited) reply.header('retry-after', error.retryAfterSec);
          throw error;
        }
      }),
    );

    app.get<{ Params: AgentParams }>('/api/agents/:agentId/keys', (request, reply) =>
      answer(request, reply, async () => {
        checkIds(request, [request.params.agentId]);
        await admin(request);
        return listAgentKeys(auth, request.params.agentId);
      }),
    );

    app.post<{ Params: AgentParams }>(
      '/api/agents/:agentId/keys',
      { onRequest: requireJson },
      (request, reply) =>
        answer(request, reply, async () => {
          checkIds(request, [request.params.agentId]);
          const body = checkedBody(request.body);
          await admin(request);
          const issued = await issueAgentKey(auth, request.params.agentId, body);
          reply.code(201);
          return issued;
        }),
    );

    app.delete<{ Params: KeyParams }>('/api/agents/:agentId/keys/:keyId', (request, reply) =>
      answer(request, reply, async () => {
        checkIds(request, [request.params.agentId, request.params.keyId]);
        await admin(request);
        return revokeAgentKey(auth, request.params.agentId, request.params.keyId);
      }),
    );
  };
}
