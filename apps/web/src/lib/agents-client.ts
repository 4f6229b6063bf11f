import type { AgentSummary } from '@taskflow/contracts';

/**
 * The identity service's admin endpoints for agents, reached through the web
 * server's /api/agents proxy with the session cookie. The browser adds its
 * Origin to the DELETE, which the service requires of cookie-carried changes.
 */
async function agentsFetch<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`/api/agents${path}`, { ...init, credentials: 'same-origin' });
  const body = (await res.json().catch(() => undefined)) as { error?: string } | undefined;
  if (!res.ok) throw new Error(body?.error ?? `The identity service answered ${res.status}`);
  return body as T;
}

export const listAgents = () => agentsFetch<AgentSummary[]>('');

export const revokeAgentKey = (agentId: string, keyId: string) =>
  agentsFetch<{ revoked: boolean }>(
    `/${encodeURIComponent(agentId)}/keys/${encodeURIComponent(keyId)}`,
    { method: 'DELETE' },
  );
