import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { getAbsoluteFSPath } from 'swagger-ui-dist';

// Served from the package itself: the docs work offline, with no CDN. Only these files.
const ASSETS = new Set([
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-32x32.png',
]);

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>TaskFlow API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  persistAuthorization: true,
  tryItOutEnabled: true,
});
`;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'",
  'x-content-type-options': 'nosniff',
};

/** Swagger UI at /docs, with an Authorize button for the bearer token. */
export async function docsPlugin(app: FastifyInstance): Promise<void> {
  const page = (type: string, body: string) => async (_: unknown, reply: FastifyReply) =>
    reply.type(type).headers(SECURITY_HEADERS).send(body);
  const html = page('text/html; charset=utf-8', PAGE);
  app.get('/docs', html);
  app.get('/docs/index.html', html);
  app.get('/docs/init.js', page('text/javascript; charset=utf-8', INIT));
  await app.register(fastifyStatic, {
    root: getAbsoluteFSPath(),
    prefix: '/docs/',
    decorateReply: false,
    index: false,
    list: false,
    // Anything else in the package (source maps, its own index.html) is not ours to serve.
    allowedPath: (path) => ASSETS.has(path.replace(/^\//, '')),
    maxAge: '1d',
    setHeaders: (res) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.header(name, value);
    },
  });
}
