import { z } from 'zod';

export const FieldIssueSchema = z.object({
  path: z.string(),
  message: z.string(),
  code: z.string(),
});

/** The one error body of the REST API. `issues` only for validation errors. */
export const ErrorBodySchema = z.object({
  error: z.string(),
  status_code: z.number().int(),
  code: z.string(),
  issues: z.array(FieldIssueSchema).optional(),
  /** Data a client can act on, for some refusals: `blocked_by` (id, title, status) on a start that waits. */
  details: z.record(z.string(), z.unknown()).optional(),
  /** The request's X-Request-Id, as the service's log lines carry it. */
  request_id: z.string().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
