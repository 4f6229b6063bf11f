import type { AgentKey, AgentSummary, IssuedAgentKey } from '@taskflow/contracts';
import { int, str } from './args';
import type { Command } from './commands';
import { agentKeysTable, agentsTable } from './format';

type Options = NonNullable<Command['options']>;

const expiry: Options = { 'expires-in-days': { type: 'string' } };
const expiresInDays = (v: string | boolean | undefined) => {
  const days = int(str(v), '--expires-in-days');
  return days === undefined ? {} : { expires_in_days: days };
};
const agentPath = (agentId: string | undefined) =>
  `/api/agents/${encodeURIComponent(agentId ?? '')}`;

const shownOnce = (issued: IssuedAgentKey, who: string) =>
  `${issued.api_key}\n\nNew key ${issued.key.id} for ${who}${issued.key.expires_at ? `, expires ${issued.key.expires_at}` : ''}. Store it now: it is not shown again.`;

/** Agents and their API keys, on the identity service (admins). */
export const AGENT_COMMANDS: Command[] = [
  {
    name: 'agents list',
    summary: 'List agents and their API keys (admins)',
    run: async (ctx) => {
      const agents = await ctx.auth().request<AgentSummary[]>('GET', '/api/agents');
      return { data: agents, text: agentsTable(agents) };
    },
  },
  {
    name: 'agents create',
    summary: 'Register an agent and print its first API key, once (admins)',
    args: ['NAME'],
    options: expiry,
    run: async (ctx, v, a) => {
      const created = await ctx
        .auth()
        .request<IssuedAgentKey & { agent: { id: string; name: string } }>('POST', '/api/agents', {
          name: a[0] ?? '',
          ...expiresInDays(v['expires-in-days']),
        });
      return {
        data: created,
        text: shownOnce(created, `agent ${created.agent.name} (${created.agent.id})`),
      };
    },
  },
  {
    name: 'agents keys',
    summary: "An agent's API keys (admins)",
    args: ['AGENT'],
    run: async (ctx, _v, a) => {
      const keys = await ctx.auth().request<AgentKey[]>('GET', `${agentPath(a[0])}/keys`);
      return { data: keys, text: agentKeysTable(keys) };
    },
  },
  {
    name: 'agents new-key',
    summary: 'Issue another API key for an agent and print it, once (admins)',
    args: ['AGENT'],
    options: expiry,
    run: async (ctx, v, a) => {
      const issued = await ctx
        .auth()
        .request<IssuedAgentKey>(
          'POST',
          `${agentPath(a[0])}/keys`,
          expiresInDays(v['expires-in-days']),
        );
      return { data: issued, text: shownOnce(issued, `agent ${a[0]}`) };
    },
  },
  {
    name: 'agents revoke',
    summary: "Revoke one of an agent's API keys: it stops working at once (admins)",
    args: ['AGENT', 'KEY_ID'],
    run: async (ctx, _v, a) => {
      const result = await ctx
        .auth()
        .request<{ revoked: boolean; agent_id: string; key_id: string }>(
          'DELETE',
          `${agentPath(a[0])}/keys/${encodeURIComponent(a[1] ?? '')}`,
        );
      return { data: result, text: `Revoked key ${result.key_id} of agent ${result.agent_id}` };
    },
  },
];
