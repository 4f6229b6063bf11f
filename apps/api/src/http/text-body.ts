import { HttpError } from '@taskflow/http-guard';
import type { FastifyInstance } from 'fastify';

// Fatal: bytes that are not UTF-8 would otherwise become U+FFFD, a value the caller never sent.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A body of a type the JSON parser does not take, kept as text for the route to judge. */
export class TextBody {
  constructor(readonly text: string) {}
}

/**
 * Every body in this scope as strict UTF-8 text, whatever its Content-Type; `wrap` decides
 * what the route receives. Fastify still enforces the body limit while reading.
 */
export function parseBodiesAsText(
  app: FastifyInstance,
  types: string | RegExp | string[] | '*',
  wrap: (text: string) => unknown,
): void {
  app.addContentTypeParser(types, { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      return done(new HttpError(400, 'PARSE_ERROR', 'The request body is not valid UTF-8'));
    }
    done(null, wrap(text));
  });
}
