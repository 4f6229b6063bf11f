import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { answerClientErrors, type GuardedListener, guardRequests } from '@taskflow/http-guard';
import { proxy } from './proxy';

const logError = (msg: string, fields: Record<string, unknown>) =>
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'error', service: 'web', msg, ...fields })}\n`,
  );

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

export interface WebServerOptions {
  distDir: string;
  /** Where the API listens, e.g. http://127.0.0.1:8000. */
  apiUrl: string;
  /** Where the identity service listens, e.g. http://127.0.0.1:3001. */
  authUrl: string;
}

/**
 * Serves the built app and forwards /trpc to the API and /api/auth to the
 * identity service, so the browser sees one origin and a first-party cookie.
 */
export function createWebServer(options: WebServerOptions): Server {
  const api = new URL(options.apiUrl);
  const auth = new URL(options.authUrl);
  const root = normalize(options.distDir);
  const index = join(root, 'index.html');

  const route: GuardedListener = (req, res, url) => {
    const path = url.pathname;
    if (path.startsWith('/api/auth/') || path.startsWith('/api/agents'))
      return proxy(req, res, auth);
    if (
      path.startsWith('/trpc/') ||
      path.startsWith('/api/') ||
      path === '/openapi.json' ||
      path.startsWith('/docs')
    ) {
      return proxy(req, res, api);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const file = normalize(join(root, decodeURIComponent(path)));
    const inside = file.startsWith(root + sep);
    if (inside && existsSync(file) && statSync(file).isFile()) {
      const immutable = file.includes(`${sep}assets${sep}`);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        ...SECURITY_HEADERS,
      });
      createReadStream(file).pipe(res);
      return;
    }
    // The app routes itself (views live in the query string): every other page is index.html.
    res.writeHead(200, {
      'content-type': TYPES['.html'],
      'cache-control': 'no-cache',
      ...SECURITY_HEADERS,
    });
    createReadStream(index).pipe(res);
  };
  return answerClientErrors(createServer(guardRequests(route, logError)));
}
