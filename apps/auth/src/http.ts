import type { IncomingMessage } from 'node:http';
import { HttpError, readBody } from '@taskflow/http-guard';
import { badInput } from './input-guard';

/** Sign-ups, sign-ins and agent requests are small. */
export const BODY_LIMIT = 64 * 1024;

export { sendHttpError as sendError, sendJson as send } from '@taskflow/http-guard';
/** A refusal with its status; the server turns it into the shared error shape. */
export { HttpError as AuthHttpError };

/**
 * The JSON body. Anything else is refused with 415 before it is read: a
 * cross-site form can send urlencoded or multipart bodies with the user's
 * cookie, but never application/json without the browser asking first.
 */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the body as JSON (content-type: application/json)',
    );
  const text = (await readBody(req, BODY_LIMIT)).trim();
  if (!text) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'PARSE_ERROR', 'The request body is not valid JSON');
  }
  const problem = badInput(body, 'body');
  if (problem) throw new HttpError(400, 'BAD_REQUEST', problem);
  return body;
}
