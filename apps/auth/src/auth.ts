import { apiKey } from '@better-auth/api-key';
import { tryGetCurrentAuthEndpointContext } from '@better-auth/core/context';
import type { Logger } from '@taskflow/service';
import { type BetterAuthOptions, betterAuth, type User } from 'better-auth';
import { APIError } from 'better-auth/api';
import { jwt } from 'better-auth/plugins';
import type { Dialect } from 'kysely';
import { adminGrantHooks, adminGrantsPlugin } from './admin-grants';
import { CLIENT_IP_HEADER } from './client-ip';
import type { AuthConfig } from './config';
import { inputGuard } from './input-guard';
import { requestLog } from './request-log';

export type WorkerKind = 'human' | 'agent';

/** What every token carries, and nothing more: no session ids or secrets. */
/** Each agent key may be exchanged 60 times in this window. */
export const KEY_RATE_WINDOW_MS = 60_000;

export function tokenPayload(user: {
  email: string;
  name: string;
  role?: unknown;
  kind?: unknown;
}) {
  return {
    email: user.email,
    name: user.name,
    role: user.role === 'admin' ? 'admin' : 'user',
    worker_type: user.kind === 'agent' ? 'agent' : 'human',
  };
}

/**
 * The session's user as stored now. The session is cached in a cookie for
 * minutes; a promotion, a demotion or a sign-out everywhere must still reach
 * the next token.
 */
async function storedSessionUser(session: { session: { token: string }; user: User }) {
  const ctx = tryGetCurrentAuthEndpointContext();
  if (!ctx) return session.user;
  const stored = await ctx.context.internalAdapter.findSession(session.session.token);
  if (!stored)
    throw new APIError('UNAUTHORIZED', { message: 'The session has ended; sign in again' });
  return stored.user;
}

/** The plugin's HTTP routes (the server-only ones have no path). */
function apiKeyRoutes(plugin: { endpoints: Record<string, { path?: string }> }): string[] {
  return Object.values(plugin.endpoints).flatMap((endpoint) =>
    endpoint.path ? [endpoint.path] : [],
  );
}

/** Better Auth's own messages as pino lines of the service (an Error among the arguments as `err`). */
function betterAuthLogger(logger: Logger) {
  return {
    // Not 'warn' or 'error': at those Better Auth also prints every refusal (each 4xx) on the
    // console itself, whatever `log` does.
    level: logger.isLevelEnabled('debug') ? ('debug' as const) : ('info' as const),
    log(level: 'debug' | 'info' | 'warn' | 'error', message: string, ...args: unknown[]) {
      const err = args.find((a) => a instanceof Error);
      const details = args.filter((a) => a !== err);
      requestLog(logger)[level](
        {
          source: 'better-auth',
          ...(err !== undefined && { err }),
          ...(details.length && { details }),
        },
        message,
      );
    },
  };
}

/** Better Auth's options; migrations read them before the instance exists. */
export function authOptions(config: AuthConfig, dialect: Dialect, logger?: Logger) {
  const apiKeys = apiKey({
    defaultPrefix: 'tf_',
    // Agents exchange their key for a token every few minutes: allow that, refuse floods.
    rateLimit: { enabled: true, timeWindow: KEY_RATE_WINDOW_MS, maxRequests: 60 },
    keyExpiration: { defaultExpiresIn: null },
  });
  return {
    appName: 'TaskFlow',
    baseURL: config.baseUrl,
    secret: config.secret,
    database: { dialect, type: 'postgres' },
    telemetry: { enabled: false },
    ...(logger && { logger: betterAuthLogger(logger) }),
    trustedOrigins: config.trustedOrigins,
    // People do not mint keys for themselves: admins issue agents' keys through /api/agents.
    disabledPaths: apiKeyRoutes(apiKeys),
    emailAndPassword: {
      enabled: true,
      minPasswordLength: 8,
      maxPasswordLength: 128,
      autoSignIn: true,
    },
    user: {
      additionalFields: {
        // Neither can be set by a client at sign-up.
        role: { type: 'string', required: false, defaultValue: 'user', input: false },
        kind: { type: 'string', required: false, defaultValue: 'human', input: false },
      },
    },
    session: {
      // Sessions are cached in a signed cookie; its JWT carries another audience, which the API refuses.
      cookieCache: { enabled: true, maxAge: 5 * 60, strategy: 'jwt' },
    },
    hooks: { before: inputGuard },
    databaseHooks: adminGrantHooks(config),
    rateLimit: {
      // Better Auth turns this on in production only; guessing passwords is no less bad elsewhere.
      enabled: true,
      // Shared by every auth process on the database, and kept across restarts.
      storage: 'database',
      max: config.requestLimit.max,
      window: config.requestLimit.windowSec,
      customRules: {
        '/sign-in/*': { max: config.signInLimit.max, window: config.signInLimit.windowSec },
        '/sign-up/*': { max: config.signInLimit.max, window: config.signInLimit.windowSec },
        // Public keys for the API's verifiers: cheap, and never worth refusing.
        '/jwks': false,
      },
    },
    advanced: {
      // The server resolves the client (socket, or a trusted proxy's X-Forwarded-For) and sets this header.
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
    },
    plugins: [
      jwt({
        sessionCookieCache: true,
        jwks: {
          keyPairConfig: { alg: 'EdDSA', crv: 'Ed25519' },
          ...(config.rotationIntervalSec && { rotationInterval: config.rotationIntervalSec }),
          ...(config.gracePeriodSec && { gracePeriod: config.gracePeriodSec }),
        },
        jwt: {
          issuer: config.baseUrl,
          audience: config.audience,
          expirationTime: config.jwtExpiration,
          definePayload: async (session) => tokenPayload(await storedSessionUser(session)),
        },
      }),
      adminGrantsPlugin,
      apiKeys,
    ],
  } satisfies BetterAuthOptions;
}

export function createAuth(config: AuthConfig, dialect: Dialect) {
  return betterAuth(authOptions(config, dialect));
}

export type Auth = ReturnType<typeof createAuth>;
