import { decodeUtf8, type HttpError } from '@taskflow/http-guard';
import type { FastifyInstance } from 'fastify';

/**
 * Every body in this scope as strict UTF-8 text, whatever its Content-Type (for routes
 * that parse bodies themselves: tRPC, Better Auth); `wrap` decides what the route
 * receives. Fastify still enforces the body limit while reading.
 */
export function parseBodiesAsText(
  scope: FastifyInstance,
  types: string | RegExp | string[] | '*',
  wrap: (text: string) => unknown = (text) => text,
): void {
  scope.addContentTypeParser(types, { parseAs: 'buffer' }, (_request, body: Buffer, done) => {
    let text: string;
    try {
      text = decodeUtf8(body);
    } catch (error) {
      return done(error as HttpError);
    }
    done(null, wrap(text));
  });
}
