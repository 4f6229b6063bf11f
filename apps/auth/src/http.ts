import type { IncomingMessage, ServerResponse } from 'node:http';
import { UNSTORABLE_TEXT, unstorableText } from './input-guard';

const BODY_LIMIT = 64 * 1024;

/** A refusal with its status; the server turns it into the shared error shape. */
export class AuthHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, status: number, code: string, message: string) {
  send(res, status, { error: message, status_code: status, code });
}

/**
 * The JSON body. Anything else is refused with 415 before it is read: a
 * cross-site form can send urlencoded or multipart bodies with the user's
 * cookie, but never application/json without the browser asking first.
 */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw new AuthHttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the body as JSON (content-type: application/json)',
    );
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT)
      throw new AuthHttpError(413, 'PAYLOAD_TOO_LARGE', 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AuthHttpError(400, 'PARSE_ERROR', 'The request body is not valid JSON');
  }
  const where = unstorableText(body, 'body');
  if (where) throw new AuthHttpError(400, 'BAD_REQUEST', `${where} ${UNSTORABLE_TEXT}`);
  return body;
}
