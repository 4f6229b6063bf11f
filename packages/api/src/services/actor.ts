import type { ActorType, UserRole } from '@taskflow/contracts';

/** The authenticated caller, as procedures and services see them. */
export interface Actor {
  id: string;
  type: ActorType;
  name: string;
  role: UserRole;
  is_admin: boolean;
  /** The client the call came through (web, cli, mcp, ...), for the audit trail. */
  client?: string | undefined;
}
