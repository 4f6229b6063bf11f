import { sep } from 'node:path';
import compress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import { HttpError } from '@taskflow/http-guard';
import type { FastifyInstance } from 'fastify';

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/** Vite names every file under assets/ by its content hash: a new build means new names. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The built app: hashed assets cached for a year, everything else (index.html above all)
 * revalidated on each load, gzip or brotli when the browser asks, and index.html for
 * any other page, since the app routes itself (views live in the query string).
 */
export async function registerStatic(app: FastifyInstance, distDir: string): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      reply.headers(SECURITY_HEADERS);
      // One metrics series for all hashed files, not one per build.
      if (request.url.startsWith('/assets/')) request.routeLabel = '/assets/*';
    });
    // Only here: proxied answers stream through untouched, whatever their type.
    await scope.register(compress, { encodings: ['br', 'gzip'] });
    await scope.register(fastifyStatic, {
      root: distDir,
      // One route per built file (the bundle does not change while serving), leaving the
      // wildcard free for the app's own pages.
      wildcard: false,
      cacheControl: false,
      dotfiles: 'ignore',
      // Source maps are built for debugging, not for the public (see vite.config.ts).
      allowedPath: (path) => !path.endsWith('.map'),
      setHeaders: (reply, path) => {
        reply.header('cache-control', path.includes(`${sep}assets${sep}`) ? IMMUTABLE : 'no-cache');
      },
    });
    scope.route({
      method: ['GET', 'HEAD'],
      url: '/*',
      handler: (request, reply) => {
        // A missing asset is a stale or broken link, not a page: HTML would only confuse the browser.
        if (request.url.startsWith('/assets/') || request.url.split('?')[0]?.endsWith('.map'))
          return reply.callNotFound();
        return reply.sendFile('index.html');
      },
    });
    scope.route({
      method: ['POST', 'PUT', 'PATCH', 'DELETE'],
      url: '/*',
      // Refused before the body is read (whatever its type): the method alone decides.
      onRequest: async (_request, reply) => {
        reply.header('allow', 'GET, HEAD');
        throw new HttpError(405, 'METHOD_NOT_SUPPORTED', 'Pages are read with GET or HEAD');
      },
      handler: () => undefined,
    });
  });
}
