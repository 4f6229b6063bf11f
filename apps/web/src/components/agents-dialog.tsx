import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AgentKey } from '@taskflow/contracts';
import { listAgents, revokeAgentKey } from '../lib/agents-client';
import { Dialog } from './dialog';
import { useToast } from './toasts';

const AGENTS_KEY = ['auth', 'agents'] as const;

function keyStatus(key: AgentKey): string {
  if (!key.enabled) return 'disabled';
  if (key.expired) return 'expired';
  return key.expires_at ? `expires ${new Date(key.expires_at).toLocaleDateString()}` : 'no expiry';
}

/** Admins: every agent and its API keys, each with a Revoke button. */
export function AgentsDialog({ onClose }: { onClose: () => void }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const agents = useQuery({ queryKey: AGENTS_KEY, queryFn: listAgents });
  const revoke = useMutation({
    mutationFn: ({ agentId, keyId }: { agentId: string; keyId: string }) =>
      revokeAgentKey(agentId, keyId),
    onSuccess: () => {
      toast('info', 'Key revoked: it no longer works');
      void queryClient.invalidateQueries({ queryKey: AGENTS_KEY });
    },
    onError: (error) => toast('error', error.message),
  });
  return (
    <Dialog title="Agents" onClose={onClose} wide>
      {agents.isPending && <p className="muted">Loading…</p>}
      {agents.isError && <p role="alert">{agents.error.message}</p>}
      {agents.data?.length === 0 && <p className="muted">No agents yet.</p>}
      <ul className="agents" data-testid="agents">
        {agents.data?.map((agent) => (
          <li key={agent.id} data-agent={agent.id}>
            <h3>
              {agent.name} <span className="muted">{agent.id}</span>
            </h3>
            {agent.keys.length === 0 ? (
              <p className="muted">No keys.</p>
            ) : (
              <ul className="agent-keys">
                {agent.keys.map((key) => (
                  <li key={key.id} data-key={key.id}>
                    <code>{key.start ? `${key.start}…` : key.id}</code>
                    <span className="muted">{keyStatus(key)}</span>
                    <span className="muted">
                      {key.last_used_at
                        ? `last used ${new Date(key.last_used_at).toLocaleString()}`
                        : 'never used'}
                    </span>
                    <button
                      type="button"
                      disabled={revoke.isPending}
                      aria-label={`Revoke key ${key.start ?? key.id} of ${agent.name}`}
                      onClick={() => revoke.mutate({ agentId: agent.id, keyId: key.id })}
                    >
                      Revoke
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
