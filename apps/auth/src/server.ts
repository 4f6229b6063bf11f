import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDialect, type DialectHandle, isDatabaseUnavailable } from '@taskflow/db';
import {
  answerClientErrors,
  guardRequests,
  httpErrorBody,
  readBody,
  sendJson,
  UNAVAILABLE_HEADERS,
} from '@taskflow/http-guard';
import { betterAuth } from 'better-auth';
import { isAPIError } from 'better-auth/api';
import { toNodeHandler } from 'better-auth/node';
import {
  createAgent,
  exchangeAgentKey,
  issueAgentKey,
  listAgentKeys,
  listAgents,
  revokeAgentKey,
} from './agents';
import { type Auth, authOptions } from './auth';
import { requireAdmin } from './callers';
import { CLIENT_IP_HEADER, clientIp } from './client-ip';
import type { AuthConfig } from './config';
import { observeDatabaseFaults, recordDatabaseFaults } from './database-faults';
import { AuthHttpError, BODY_LIMIT, readJson, send, sendError } from './http';
import { migrateAuth } from './migrate';

/** /api/agents/{id}/keys[/{keyId}], ids as Better Auth makes them. */
const AGENT_KEYS = /^\/api\/agents\/([A-Za-z0-9_-]{1,64})\/keys(?:\/([A-Za-z0-9_-]{1,64}))?$/;

const UNAVAILABLE = {
  body: httpErrorBody(503, 'SERVICE_UNAVAILABLE', 'The database is unavailable; try again shortly'),
  headers: { ...UNAVAILABLE_HEADERS, 'cache-control': 'no-store' },
} as const;

const sendUnavailable = (res: ServerResponse) =>
  sendJson(res, 503, UNAVAILABLE.body, UNAVAILABLE.headers);

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
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
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
  const betterAuthOptions = authOptions(config, observeDatabaseFaults(database.dialect));
  const migrated = await migrateAuth(betterAuthOptions);
  const auth = betterAuth(betterAuthOptions);
  const betterAuthHandler = toNodeHandler(async (request: Request) => {
    const { result, faults } = recordDatabaseFaults(() => auth.handler(request));
    const response = await result;
    // Better Auth's rate limit says when to come back only in X-Retry-After.
    const retryAfter = response.headers.get('x-retry-after');
    if (response.status === 429 && retryAfter && !response.headers.has('retry-after')) {
      response.headers.set('retry-after', retryAfter);
    }
    if (!faults.unavailable || response.status < 400) return response;
    // Better Auth reports a lost database as 500, or as 401 / 422 as if the caller were wrong.
    await response.body?.cancel();
    return Response.json(UNAVAILABLE.body, { status: 503, headers: UNAVAILABLE.headers });
  });

  // Better Auth trusts its own base URL's origin too; so do the cookie-carried endpoints here.
  const trustedOrigins = [...config.trustedOrigins, new URL(config.baseUrl).origin];
  const admin = (req: IncomingMessage) => requireAdmin(auth, req, trustedOrigins);

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const path = url.pathname;
    if (cors(req, res, config.trustedOrigins)) return;
    if (path.startsWith('/api/auth/')) {
      req.headers[CLIENT_IP_HEADER] = clientIp(req, config.trustedProxies);
      // Read here so that bytes which are not UTF-8 are refused, not stored as U+FFFD;
      // Better Auth's adapter takes a body already read from `req.body`.
      if (req.method !== 'GET' && req.method !== 'HEAD')
        (req as IncomingMessage & { body?: string }).body = await readBody(req, BODY_LIMIT);
      return betterAuthHandler(req, res);
    }
    if (req.method === 'GET' && path === '/health') return send(res, 200, { status: 'ok' });
    if (path === '/api/agents') {
      if (req.method === 'GET') {
        await admin(req);
        return send(res, 200, await listAgents(auth));
      }
      if (req.method === 'POST') {
        const body = await readJson(req);
        return send(res, 201, await createAgent(auth, await admin(req), body));
      }
    }
    if (req.method === 'POST' && path === '/api/agents/token') {
      return send(res, 200, await exchangeAgentKey(auth, req));
    }
    const keys = AGENT_KEYS.exec(path);
    if (keys) {
      const [, agentId = '', keyId] = keys;
      if (keyId === undefined && req.method === 'GET') {
        await admin(req);
        return send(res, 200, await listAgentKeys(auth, agentId));
      }
      if (keyId === undefined && req.method === 'POST') {
        const body = await readJson(req);
        await admin(req);
        return send(res, 201, await issueAgentKey(auth, agentId, body));
      }
      if (keyId !== undefined && req.method === 'DELETE') {
        await admin(req);
        return send(res, 200, await revokeAgentKey(auth, agentId, keyId));
      }
    }
    sendError(res, 404, 'NOT_FOUND', `No route for ${req.method} ${path}`);
  };

  const server = answerClientErrors(
    createServer(
      guardRequests(
        (req, res, url) => {
          const { result, faults } = recordDatabaseFaults(() => route(req, res, url));
          return result.catch((error: unknown) => {
            // A refusal caused by an unreachable database is not the caller's fault.
            if (faults.unavailable || isDatabaseUnavailable(error)) return sendUnavailable(res);
            if (error instanceof AuthHttpError)
              return sendError(res, error.status, error.code, error.message);
            // Better Auth's own refusals (from auth.api calls) keep their status; only faults are 500.
            if (isAPIError(error) && error.statusCode < 500)
              return sendError(
                res,
                error.statusCode,
                String(error.body?.code ?? error.status),
                error.body?.message ?? error.message,
              );
            console.error('auth request failed:', error);
            sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
          });
        },
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
