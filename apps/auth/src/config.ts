import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findInvalidTrustedProxies } from '@better-auth/core/utils/ip';
import {
  ConfigError,
  optionalString as optional,
  parseEnv,
  ServiceEnvSchema,
  type ServiceSettings,
  serviceSettings,
} from '@taskflow/service';
import { z } from 'zod';

/** <repo>/.data, wherever the command runs. */
export const DATA_DIR = fileURLToPath(new URL('../../../.data', import.meta.url));

/** The auth service's own variables, beside every service's logging and metrics ones. */
const EnvSchema = ServiceEnvSchema.extend({
  HOST: optional,
  AUTH_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  BETTER_AUTH_URL: optional.pipe(z.url().optional()),
  BETTER_AUTH_SECRET: optional,
  DATABASE_URL: optional,
  AUTH_PGLITE_DATA_DIR: optional,
  AUTH_AUDIENCE: optional,
  ADMIN_EMAILS: optional,
  TRUSTED_ORIGINS: optional,
  TRUSTED_PROXIES: optional,
  AUTH_SIGN_IN_LIMIT: z.coerce.number().int().min(1).max(10_000).default(10),
  AUTH_SIGN_IN_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  AUTH_REQUEST_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(100),
  AUTH_REQUEST_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(10),
  JWT_EXPIRATION: optional,
  JWKS_ROTATION_SECONDS: z.coerce.number().int().positive().optional(),
  JWKS_GRACE_SECONDS: z.coerce.number().int().positive().optional(),
});

export interface AuthConfig {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Public base URL; also the JWT issuer. */
  baseUrl: string;
  secret: string;
  databaseUrl: string | undefined;
  pgliteDataDir: string;
  /** The `aud` of every token minted for the API. */
  audience: string;
  /** Addresses that become admins once verified (never merely because someone typed them). */
  adminEmails: string[];
  trustedOrigins: string[];
  /**
   * Proxies (IPs or CIDR ranges) whose X-Forwarded-For is believed. From anyone
   * else the socket's address is the client, whatever the headers say.
   */
  trustedProxies: string[];
  /** Sign-in and sign-up attempts allowed per client IP and window. */
  signInLimit: { max: number; windowSec: number };
  /** Every other request of one client (sessions, tokens): Better Auth's default, made visible. */
  requestLimit: { max: number; windowSec: number };
  jwtExpiration: string;
  rotationIntervalSec: number | undefined;
  gracePeriodSec: number | undefined;
  /** Log level and format, and where /metrics is served. */
  service: ServiceSettings;
}

/** A refused configuration; exits with 78 (EX_CONFIG) like every service's. */
export class AuthConfigError extends ConfigError {
  constructor(problems: string[]) {
    super(problems);
    this.name = 'AuthConfigError';
  }
}

export const DEFAULT_AUDIENCE = 'taskflow-api';

/**
 * A development secret kept beside the embedded database, so sessions and the
 * encrypted signing keys survive restarts. Production must bring its own.
 */
function devSecret(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}

export function loadAuthConfig(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  let e: z.output<typeof EnvSchema>;
  try {
    e = parseEnv(EnvSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) throw new AuthConfigError(error.problems);
    throw error;
  }
  const production = e.NODE_ENV === 'production';
  const problems: string[] = [];
  if (production) {
    if (!e.BETTER_AUTH_SECRET || e.BETTER_AUTH_SECRET.length < 32)
      problems.push('BETTER_AUTH_SECRET (32+ characters) is required in production');
    if (!e.BETTER_AUTH_URL)
      problems.push('BETTER_AUTH_URL (the public URL of this service) is required in production');
    else if (!e.BETTER_AUTH_URL.startsWith('https://'))
      problems.push('BETTER_AUTH_URL must use https in production');
    if (!e.DATABASE_URL)
      problems.push('DATABASE_URL is required in production (PGlite is for development)');
    if (!e.TRUSTED_ORIGINS)
      problems.push('TRUSTED_ORIGINS (the web app origins) is required in production');
  } else if (e.BETTER_AUTH_SECRET && e.BETTER_AUTH_SECRET.length < 32) {
    problems.push('BETTER_AUTH_SECRET must be at least 32 characters');
  }
  const list = (v: string | undefined) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const trustedProxies = list(e.TRUSTED_PROXIES);
  const badProxies = findInvalidTrustedProxies(trustedProxies);
  if (badProxies.length)
    problems.push(`TRUSTED_PROXIES: not an IP address or CIDR range: ${badProxies.join(', ')}`);
  const service = serviceSettings(e, problems);
  if (problems.length) throw new AuthConfigError(problems);

  const host = e.HOST ?? (production ? '0.0.0.0' : '127.0.0.1');
  return {
    env: e.NODE_ENV,
    host,
    port: e.AUTH_PORT,
    baseUrl: (e.BETTER_AUTH_URL ?? `http://localhost:${e.AUTH_PORT}`).replace(/\/$/, ''),
    secret: e.BETTER_AUTH_SECRET ?? devSecret(join(DATA_DIR, 'auth-secret')),
    databaseUrl: e.DATABASE_URL,
    pgliteDataDir: e.AUTH_PGLITE_DATA_DIR ?? join(DATA_DIR, 'auth-pglite'),
    audience: e.AUTH_AUDIENCE ?? DEFAULT_AUDIENCE,
    adminEmails: list(e.ADMIN_EMAILS).map((m) => m.toLowerCase()),
    trustedOrigins: e.TRUSTED_ORIGINS
      ? list(e.TRUSTED_ORIGINS)
      : ['http://localhost:3000', 'http://127.0.0.1:3000'],
    trustedProxies,
    signInLimit: { max: e.AUTH_SIGN_IN_LIMIT, windowSec: e.AUTH_SIGN_IN_WINDOW_SECONDS },
    requestLimit: { max: e.AUTH_REQUEST_LIMIT, windowSec: e.AUTH_REQUEST_WINDOW_SECONDS },
    jwtExpiration: e.JWT_EXPIRATION ?? '15m',
    rotationIntervalSec: e.JWKS_ROTATION_SECONDS,
    gracePeriodSec: e.JWKS_GRACE_SECONDS,
    service,
  };
}
