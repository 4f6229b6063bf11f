import { TRPCClientError } from '@trpc/client';

export interface ApiProblem {
  message: string;
  code: string | undefined;
  status: number | undefined;
  /** Per-field messages, as the API's validation gives them. */
  fields: Record<string, string>;
}

interface ErrorData {
  code?: string;
  httpStatus?: number;
  issues?: { path: string; message: string }[];
}

/** What to show for a failed call: the server's own message and field issues. */
export function toProblem(error: unknown): ApiProblem {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as ErrorData;
    const fields: Record<string, string> = {};
    for (const issue of data.issues ?? [])
      if (issue.path && !fields[issue.path]) fields[issue.path] = issue.message;
    return { message: error.message, code: data.code, status: data.httpStatus, fields };
  }
  if (error instanceof Error) {
    const offline = error.name === 'TypeError' || /fetch/i.test(error.message);
    return {
      message: offline
        ? 'Cannot reach TaskFlow. Check your connection and try again.'
        : error.message,
      code: undefined,
      status: undefined,
      fields: {},
    };
  }
  return { message: 'Something went wrong', code: undefined, status: undefined, fields: {} };
}

/** Zod issues from a client-side parse, keyed like the server's. */
export function fieldErrors(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues) {
    const key = issue.path.map(String).join('.');
    if (!out[key]) out[key] = issue.message;
  }
  return out;
}
