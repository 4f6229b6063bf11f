import { isDatabaseUnavailable, sqlState } from '@taskflow/db';
import { TRPCError } from '@trpc/server';
import { type ZodError, z } from 'zod';

export interface FieldIssue {
  path: string;
  message: string;
  code: string;
}

export function issuesOf(error: ZodError): FieldIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
    code: i.code,
  }));
}

/** Zod's issues for one input, as clients show them: `{ title: ['Title is required'] }`. */
export function fieldErrorsOf(error: ZodError): Record<string, string[]> {
  return z.flattenError(error).fieldErrors as Record<string, string[]>;
}

export function describeIssues(issues: FieldIssue[]): string {
  const first = issues
    .slice(0, 3)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
  return `Invalid input: ${first}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''}`;
}

/**
 * Turns a failure from below the procedures into the error a client can act on,
 * or undefined to leave it alone.
 */
export function translateError(error: TRPCError): TRPCError | undefined {
  const cause = error.cause ?? error;
  if (error.code === 'SERVICE_UNAVAILABLE') return undefined;
  if (isDatabaseUnavailable(cause)) {
    return new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: 'The database is unavailable; try again shortly',
      cause,
    });
  }
  const state = sqlState(cause);
  // Class 22 is "data exception": a value the database cannot take. Inputs are
  // validated before they get here, so this is the last line of defence.
  if (state?.startsWith('22')) {
    return new TRPCError({
      code: 'BAD_REQUEST',
      message: 'A value in the request cannot be stored; check its range and characters',
      cause,
    });
  }
  switch (state) {
    case '40001':
    case '40P01':
      return new TRPCError({
        code: 'CONFLICT',
        message: 'The change collided with a concurrent one; retry it',
        cause,
      });
    case '23505':
      return new TRPCError({ code: 'CONFLICT', message: 'That already exists', cause });
    case '23503':
    case '23514':
      return new TRPCError({
        code: 'UNPROCESSABLE_CONTENT',
        message: 'The change would break a rule of the data model',
        cause,
      });
    default:
      return undefined;
  }
}
