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

/** A request body as text; 400 PARSE_ERROR when its bytes are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new HttpError(400, 'PARSE_ERROR', 'The request body is not valid UTF-8');
  }
}
