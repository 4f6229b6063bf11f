import { z } from 'zod';

/*
 * The identity service's agent endpoints (/api/agents, admins only): served by
 * apps/auth, called by the CLI and the web app.
 */

/** A key's lifetime in days; without one a key does not expire. */
export const ExpiresInDays = z.number().int().min(1).max(365);

export const AgentCreateInput = z.strictObject({
  name: z.string().trim().min(1).max(120),
  expires_in_days: ExpiresInDays.optional(),
});

export const AgentKeyIssueInput = z.strictObject({ expires_in_days: ExpiresInDays.optional() });

/** What an admin sees of an API key: never the key itself, which is stored hashed. */
export const AgentKeySchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  /** The key's first characters, to tell keys apart. */
  start: z.string().nullable(),
  enabled: z.boolean(),
  expires_at: z.string().nullable(),
  expired: z.boolean(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
});
export type AgentKey = z.infer<typeof AgentKeySchema>;

export const AgentSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.literal('agent'),
  created_at: z.string().nullable(),
  keys: z.array(AgentKeySchema),
});
export type AgentSummary = z.infer<typeof AgentSummarySchema>;

/** A key as issued: the only time `api_key` is shown. */
export const IssuedAgentKeySchema = z.object({ api_key: z.string(), key: AgentKeySchema });
export type IssuedAgentKey = z.infer<typeof IssuedAgentKeySchema>;
