import { HttpError } from '@taskflow/http-guard';
import type { FastifyRequest } from 'fastify';
import { badInput } from './input-guard';

/** Sign-ups, sign-ins and agent requests are small. */
export const BODY_LIMIT = 64 * 1024;

/** A refusal with its status; the service's error handler answers it in the shared shape. */
export { HttpError as AuthHttpError };

/**
 * onRequest: anything but a JSON body is refused with 415 before it is read. A
 * cross-site form can send urlencoded, multipart or text/plain bodies with the
 * user's cookie, but never application/json without the browser asking first.
 */
export async function requireJson(request: FastifyRequest): Promise<void> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the body as JSON (content-type: application/json)',
    );
}

/** The parsed JSON body, once its text is known to be storable and not nested too deep. */
export function checkedBody(body: unknown): unknown {
  const problem = badInput(body, 'body');
  if (problem) throw new HttpError(400, 'BAD_REQUEST', problem);
  return body;
}
