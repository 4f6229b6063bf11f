import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDialect, type DialectHandle } from '@taskflow/db';
import { answerClientErrors, guardRequests } from '@taskflow/http-guard';
import { betterAuth } from 'better-auth';
import { toNodeHandler } from 'better-auth/node';
import { AuthHttpError, createAgent, exchangeAgentKey } from './agents';
import { type Auth, authOptions } from './auth';
import type { AuthConfig } from './config';
import { migrateAuth } from './migrate';

const BODY_LIMIT = 64 * 1024;

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: message, status_code: status, code });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
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
  try {
    return JSON.parse(text);
  } catch {
    throw new AuthHttpError(400, 'PARSE_ERROR', 'The request body is not valid JSON');
  }
}

/** Browsers on the web app's origin call this service with cookies. */
function cors(req: IncomingMessage, res: ServerResponse, trusted: string[]): boolean {
  const origin = req.headers.origin;
  res.setHeader('Vary', 'Origin');
  const allowed = origin !== undefined && trusted.includes(origin);
  if (allowed) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Expose-Headers', 'set-auth-jwt');
  }
  if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return false;
  if (allowed) {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'content-type, authorization, x-api-key');
    res.setHeader('Access-Control-Max-Age', '600');
  }
  res.writeHead(allowed ? 204 : 403).end();
  return true;
}

export interface AuthService {
  auth: Auth;
  server: Server;
  database: DialectHandle;
  /** Listens; resolves with the URL it listens on. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** Better Auth plus the agent endpoints, on one plain Node HTTP server. */
export async function createAuthService(
  config: AuthConfig,
  options: { onPoolError?: (error: Error) => void } = {},
): Promise<AuthService & { migrated: string[] }> {
  const database = createDialect({
    databaseUrl: config.databaseUrl,
    dataDir: config.pgliteDataDir,
    ...(options.onPoolError && { onPoolError: options.onPoolError }),
  });
  // Migrate first, so Better Auth's own schema check at start-up finds every table.
  const betterAuthOptions = authOptions(config, database.dialect);
  const migrated = await migrateAuth(betterAuthOptions);
  const auth = betterAuth(betterAuthOptions);
  const betterAuthHandler = toNodeHandler(auth);

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (cors(req, res, config.trustedOrigins)) return;
    if (url.pathname.startsWith('/api/auth/')) return betterAuthHandler(req, res);
    if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { status: 'ok' });
    if (req.method === 'POST' && url.pathname === '/api/agents') {
      return send(res, 201, await createAgent(auth, req, await readJson(req)));
    }
    if (req.method === 'POST' && url.pathname === '/api/agents/token') {
      return send(res, 200, await exchangeAgentKey(auth, req));
    }
    sendError(res, 404, 'NOT_FOUND', `No route for ${req.method} ${url.pathname}`);
  };

  const server = answerClientErrors(
    createServer(
      guardRequests(
        (req, res, url) =>
          route(req, res, url).catch((error: unknown) => {
            if (error instanceof AuthHttpError)
              return sendError(res, error.status, error.code, error.message);
            console.error('auth request failed:', error);
            sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
          }),
        (msg, fields) => console.error(`auth ${msg}:`, fields),
      ),
    ),
  );

  return {
    auth,
    server,
    database,
    migrated,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          resolve(`http://${config.host}:${port}`);
        });
      }),
    close: async () => {
      await new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await database.close();
    },
  };
}

export type { Auth };
