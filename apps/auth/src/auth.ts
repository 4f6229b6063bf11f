import { apiKey } from '@better-auth/api-key';
import { type BetterAuthOptions, betterAuth } from 'better-auth';
import { jwt } from 'better-auth/plugins';
import type { Dialect } from 'kysely';
import type { AuthConfig } from './config';

export type WorkerKind = 'human' | 'agent';

/** What every token carries, and nothing more: no session ids or secrets. */
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

/** Better Auth's options; migrations read them before the instance exists. */
export function authOptions(config: AuthConfig, dialect: Dialect) {
  return {
    appName: 'TaskFlow',
    baseURL: config.baseUrl,
    secret: config.secret,
    database: { dialect, type: 'postgres' },
    telemetry: { enabled: false },
    trustedOrigins: config.trustedOrigins,
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
    databaseHooks: {
      user: {
        create: {
          // The first account, or one named in ADMIN_EMAILS, is an admin.
          before: async (user, ctx) => {
            if ((user as { kind?: string }).kind === 'agent') return { data: user };
            const email = user.email.toLowerCase();
            let admin = config.adminEmails.includes(email);
            if (!admin && config.adminEmails.length === 0 && ctx) {
              admin = (await ctx.context.adapter.count({ model: 'user' })) === 0;
            }
            return { data: { ...user, role: admin ? 'admin' : 'user', kind: 'human' } };
          },
        },
      },
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
          definePayload: ({ user }) => tokenPayload(user),
        },
      }),
      apiKey({
        defaultPrefix: 'tf_',
        // Agents exchange their key for a token every few minutes: allow that, refuse floods.
        rateLimit: { enabled: true, timeWindow: 60_000, maxRequests: 60 },
        keyExpiration: { defaultExpiresIn: null },
      }),
    ],
  } satisfies BetterAuthOptions;
}

export function createAuth(config: AuthConfig, dialect: Dialect) {
  return betterAuth(authOptions(config, dialect));
}

export type Auth = ReturnType<typeof createAuth>;
