import type { AppRouter } from '@taskflow/router';
import type { TRPCClient } from '@trpc/client';

/**
 * The typed API client the tools call: @taskflow/client's over HTTP (stdio server),
 * or one on tRPC's local link inside the API (/mcp). Both are this type.
 */
export type McpApiClient = TRPCClient<AppRouter>;
