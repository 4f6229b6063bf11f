import type { IncomingMessage } from 'node:http';

/** A refusal decided by the HTTP layer, before any procedure runs. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// Fatal: bytes that are not UTF-8 would otherwise become U+FFFD, a value the caller never sent.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The whole body as text, at most `limit` bytes of valid UTF-8. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit)
        throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${limit} bytes`);
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    // The client went away mid-body: its fault, not the server's, and nobody hears the answer.
    throw new HttpError(400, 'INCOMPLETE_BODY', 'The request body ended before it was complete');
  }
  try {
    return utf8.decode(Buffer.concat(chunks));
  } catch {
    throw new HttpError(400, 'PARSE_ERROR', 'The request body is not valid UTF-8');
  }
}
