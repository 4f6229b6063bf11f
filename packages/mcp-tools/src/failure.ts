import { TRPCClientError } from '@trpc/client';

/** What a tool error says: HTTP status, code, the server's message and per-field issues. */
export interface ToolFailure {
  status: number | undefined;
  code: string | undefined;
  message: string;
  issues: { path: string; message: string }[];
}

/**
 * A failed call as the API gave it. The same reading as @taskflow/client's
 * describeFailure (this package may not import the client: the API hosts these tools,
 * and the client's tests start the API). A tRPC error without data is the transport's:
 * the identity service refusing the key (AuthenticationError), or the network.
 */
export function describeToolFailure(error: unknown): ToolFailure {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as {
      httpStatus?: number;
      code?: string;
      issues?: ToolFailure['issues'];
    };
    const cause = error.cause as { name?: string; message?: string } | undefined;
    if (!error.data && cause)
      return {
        status: undefined,
        code: cause.name === 'AuthenticationError' ? 'UNAUTHORIZED' : 'NETWORK',
        message: cause.message ?? error.message,
        issues: [],
      };
    return {
      status: data.httpStatus,
      code: data.code,
      message: error.message,
      issues: data.issues ?? [],
    };
  }
  return {
    status: undefined,
    code:
      error instanceof Error && error.name === 'AuthenticationError' ? 'UNAUTHORIZED' : undefined,
    message: error instanceof Error ? error.message : String(error),
    issues: [],
  };
}
