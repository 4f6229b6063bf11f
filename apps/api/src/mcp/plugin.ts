import { AsyncLocalStorage } from 'node:async_hooks';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { HttpError } from '@taskflow/http-guard';
import {
  createMcpServer,
  type McpApiClient,
  parseToolSet,
  type ToolSet,
} from '@taskflow/mcp-tools';
import {
  type AppRouter,
  appRouter,
  bearerToken,
  clientName,
  createInnerContext,
  type HttpContextDeps,
  RequestRateLimit,
  reportError,
  TokenError,
} from '@taskflow/router';
import { errorBody } from '@taskflow/service';
import { createTRPCClient, type TRPCLink, unstable_localLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asRequestLike } from '../http/request';
import { AGENT_KEY_PREFIX, AgentKeyExchange, KeyRefused } from './agent-keys';

export interface McpOptions extends HttpContextDeps {
  /** The identity service, where agent API keys are exchanged for tokens. */
  authUrl: string;
  /** The tools offered when a request does not ask (?tools=core|all). */
  tools: ToolSet;
}

const CHALLENGE = 'Bearer realm="taskflow"';

// A tool call's own key (its idempotency_key argument), for the procedure it runs: the
// local link's createContext is told nothing of the operation, so it reads it from here.
const toolKey = new AsyncLocalStorage<string | undefined>();
const withToolKey: TRPCLink<AppRouter> =
  () =>
  ({ op, next }) =>
    observable((observer) => {
      const key = op.context.idempotencyKey;
      const subscription = toolKey.run(typeof key === 'string' ? key : undefined, () =>
        next(op).subscribe(observer),
      );
      return () => subscription.unsubscribe();
    });

/** The caller's credential: a bearer JWT, or an agent key (x-api-key, or a bearer tf_...). */
function credentialOf(request: FastifyRequest): { token: string } | { key: string } | undefined {
  const raw = request.headers['x-api-key'];
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key) return { key };
  const bearer = bearerToken(request.headers);
  if (bearer === undefined) return undefined;
  if (bearer === '')
    throw new HttpError(401, 'UNAUTHORIZED', "The Authorization header must be 'Bearer <token>'");
  return bearer.startsWith(AGENT_KEY_PREFIX) ? { key: bearer } : { token: bearer };
}

/** The caller's token, verified as every API call's is; HttpError (401, 429, 503) if none. */
async function authenticate(
  request: FastifyRequest,
  options: McpOptions,
  keys: AgentKeyExchange,
): Promise<{ token: string; sub: string }> {
  const credential = credentialOf(request);
  if (!credential)
    throw new HttpError(
      401,
      'UNAUTHORIZED',
      'Send a bearer token (Authorization: Bearer <jwt>) or an agent API key (x-api-key)',
    );
  const token = 'token' in credential ? credential.token : await keys.token(credential.key);
  try {
    const claims = await options.verifyToken(token);
    return { token, sub: claims.sub };
  } catch (error) {
    if (error instanceof TokenError && error.kind === 'unavailable')
      throw new HttpError(503, 'SERVICE_UNAVAILABLE', error.message);
    throw new HttpError(
      401,
      'UNAUTHORIZED',
      error instanceof TokenError ? error.message : 'Invalid token',
    );
  }
}

function refuse(reply: FastifyReply, request: FastifyRequest, error: HttpError) {
  if (error.status === 401)
    reply.header(
      'www-authenticate',
      // RFC 6750: no error attribute when the request carried no credentials at all.
      request.headers.authorization || request.headers['x-api-key']
        ? `${CHALLENGE}, error="invalid_token"`
        : CHALLENGE,
    );
  if (error instanceof KeyRefused && error.retryAfter)
    reply.header('retry-after', error.retryAfter);
  return reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .send(errorBody(error.status, error.code, error.message, request.id));
}

/** The headers the SDK's transport reads; the credentials stay out of the MCP layer. */
const TRANSPORT_HEADERS = ['accept', 'content-type', 'mcp-protocol-version', 'mcp-session-id'];

function fetchHeaders(request: FastifyRequest): Headers {
  const headers = new Headers();
  for (const name of TRANSPORT_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  return headers;
}

/**
 * MCP over Streamable HTTP at /mcp: the stdio server's tools, for remote agents.
 * Stateless: each POST gets a fresh server and transport, answering in JSON (no SSE).
 * The tools call the API's procedures in-process through tRPC's local link, with
 * the caller's token in the context, so authentication, rate limits, transactions,
 * audit rows and error messages are those of every other call.
 */
export async function mcpPlugin(app: FastifyInstance, options: McpOptions): Promise<void> {
  const keys = new AgentKeyExchange(options.authUrl.replace(/\/$/, ''));

  // Stateless: no standalone SSE stream to GET, no session to DELETE.
  app.route({
    method: ['GET', 'DELETE', 'PUT', 'PATCH'],
    url: '/mcp',
    handler: (request, reply) =>
      reply
        .code(405)
        .header('allow', 'POST')
        .header('cache-control', 'no-store')
        .send(
          errorBody(
            405,
            'METHOD_NOT_SUPPORTED',
            `${request.method} is not allowed on /mcp: this server is stateless, send each message as a POST`,
            request.id,
          ),
        ),
  });

  app.post('/mcp', async (request, reply) => {
    request.routeLabel = '/mcp';
    let caller: { token: string; sub: string };
    try {
      caller = await authenticate(request, options, keys);
    } catch (error) {
      if (error instanceof HttpError) return refuse(reply, request, error);
      throw error;
    }
    request.principalId = caller.sub;
    let tools: ToolSet;
    try {
      const asked = (request.query as Record<string, unknown>).tools;
      tools = asked === undefined ? options.tools : parseToolSet(String(asked));
    } catch (error) {
      return refuse(reply, request, new HttpError(400, 'BAD_REQUEST', (error as Error).message));
    }

    const rateLimit = options.rateLimiter && new RequestRateLimit(options.rateLimiter);
    const like = asRequestLike(request);
    const calls = Array.isArray(request.body) ? request.body.length : 1;
    const rawKey = request.headers['idempotency-key'];
    const idempotencyKey = Array.isArray(rawKey) ? rawKey.join(', ') : rawKey;
    const client: McpApiClient = createTRPCClient<AppRouter>({
      links: [
        withToolKey,
        unstable_localLink({
          router: appRouter,
          // As over tRPC and REST: failures logged (500s with their cause), conflicts counted.
          onError: ({ error, path }) => reportError(error, path, like.log, options.metrics),
          createContext: async () => {
            const own = toolKey.getStore();
            return createInnerContext({
              db: options.db,
              logger: like.log,
              verifyToken: options.verifyToken,
              token: caller.token,
              requestId: request.id,
              client: clientName(request.headers, 'mcp'),
              rateLimit,
              metrics: options.metrics,
              // As over tRPC and REST: a commit wakes the feed and the webhook dispatcher.
              webhooks: options.webhooks,
              onAuditCommitted: options.onAuditCommitted,
              changes: options.changes,
              workers: options.workers,
              scopes: options.scopes,
              idempotencyKey: own ?? idempotencyKey,
              // The header's key names one call: a JSON-RPC batch of several may not share it.
              idempotencyRefusal:
                own === undefined && idempotencyKey !== undefined && calls > 1
                  ? 'Idempotency-Key applies to a request with one message; send keyed calls unbatched'
                  : undefined,
            });
          },
        }),
      ],
    });
    const server = createMcpServer(client, { tools, workerId: caller.sub });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    try {
      await server.connect(transport);
      const response = await transport.handleRequest(
        new Request(new URL(request.url, 'http://mcp.invalid'), {
          method: 'POST',
          headers: fetchHeaders(request),
        }),
        { parsedBody: request.body },
      );
      const text = await response.text();
      reply.code(response.status).headers(rateLimit?.headers() ?? {});
      reply.header('cache-control', 'no-store');
      response.headers.forEach((value, name) => {
        reply.header(name, value);
      });
      return reply.send(text);
    } finally {
      await transport.close();
      await server.close();
    }
  });
}
