import { availableParallelism } from 'node:os';
import { TOOL_SETS, type ToolSet } from '@taskflow/mcp-tools';
import {
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  VERIFIER_DEFAULTS,
  WEBHOOK_DEFAULTS,
  type WebhookSettings,
  WORKER_CACHE_DEFAULTS,
} from '@taskflow/router';
import {
  ConfigError,
  optionalString,
  parseEnv,
  ServiceEnvSchema,
  type ServiceSettings,
  serviceSettings,
} from '@taskflow/service';
import { z } from 'zod';
import { DEFAULT_LEASE_SWEEP_INTERVAL_MS } from './lease-sweeper';
import { DEFAULT_WEBHOOK_POLL_INTERVAL_MS } from './webhook-dispatcher';

export { ConfigError };

const HOUR = 3_600;
const DAY = 24 * HOUR;
const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: HOUR, d: DAY };

/** Seconds, given as `86400` or with a unit: `90s`, `15m`, `24h`, `7d`. */
const duration = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?\s*[smhd]?$/i, { message: 'must be seconds or a duration like 15m, 24h, 7d' })
  .transform((v) => {
    const unit = v.at(-1)?.toLowerCase() ?? '';
    return unit in DURATION_UNITS
      ? Number.parseFloat(v) * (DURATION_UNITS[unit] ?? 1)
      : Number.parseFloat(v);
  })
  .pipe(z.number().positive({ message: 'must be more than 0' }));

const ApiEnvSchema = z.object({
  HOST: optionalString,
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  DATABASE_URL: optionalString,
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  PGLITE_DATA_DIR: optionalString,
  // Processes serving the port: a number, or auto (one per core, at most MAX_AUTO_WORKERS).
  API_WORKERS: optionalString.pipe(
    z.literal('auto').or(z.coerce.number<string>().int().min(1).max(256)).optional(),
  ),
  AUTH_JWKS_URL: optionalString.pipe(z.url().optional()),
  AUTH_SERVER_URL: optionalString.pipe(z.url().optional()),
  AUTH_ISSUER: optionalString,
  AUTH_AUDIENCE: optionalString,
  ALLOWED_ORIGINS: optionalString,
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(1024 * 1024),
  TRPC_MAX_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(50),
  AUTH_JWKS_COOLDOWN_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  // Empty counts as unset: a blank variable must not silently turn the limit off.
  RATE_LIMIT_PER_MINUTE: optionalString.pipe(
    z.coerce.number<string>().int().min(0).max(1_000_000).optional(),
  ),
  AUTH_JWKS_MAX_AGE_SECONDS: z.coerce
    .number()
    .positive()
    .max(7 * DAY)
    .default(VERIFIER_DEFAULTS.jwksMaxAgeMs / 1000),
  AUTH_JWKS_STALE_IF_ERROR_SECONDS: z.coerce
    .number()
    .min(0)
    .max(30 * DAY)
    .default(VERIFIER_DEFAULTS.jwksStaleIfErrorMs / 1000),
  AUTH_MAX_TOKEN_AGE: duration.default(VERIFIER_DEFAULTS.maxTokenAgeSec),
  // 0 turns the sweeper off in this process (others sweep for it); blank is unset, not 0.
  LEASE_SWEEP_INTERVAL_MS: optionalString.pipe(
    z.coerce.number<string>().int().min(0).max(3_600_000).optional(),
  ),
  // The tools /mcp offers unless a request asks (?tools=): core (the agent loop) or all.
  TASKFLOW_MCP_TOOLS: optionalString.pipe(z.enum(TOOL_SETS).optional()),
  // Webhooks (see WebhookSettings); durations take units (10s, 1h, 24h).
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: optionalString.pipe(z.enum(['true', 'false']).optional()),
  // How often this process looks for due webhook messages; 0: it delivers none (others do).
  WEBHOOK_POLL_INTERVAL_MS: optionalString.pipe(
    z.coerce.number<string>().int().min(0).max(3_600_000).optional(),
  ),
  WEBHOOK_TIMEOUT: duration.pipe(z.number().max(120)).default(WEBHOOK_DEFAULTS.timeoutMs / 1000),
  WEBHOOK_RETRY_BASE: duration
    .pipe(z.number().max(3600))
    .default(WEBHOOK_DEFAULTS.retryBaseMs / 1000),
  WEBHOOK_RETRY_MAX: duration.default(WEBHOOK_DEFAULTS.retryMaxMs / 1000),
  WEBHOOK_MAX_AGE: duration.default(WEBHOOK_DEFAULTS.maxAgeMs / 1000),
  WEBHOOK_DISABLE_AFTER_FAILURES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(WEBHOOK_DEFAULTS.disableAfterFailures),
  WEBHOOK_DISABLE_AFTER: optionalString.pipe(
    z
      .string()
      .regex(/^0$/)
      .transform(() => 0)
      .or(duration)
      .optional(),
  ),
  WEBHOOK_SECRET_GRACE: duration.default(WEBHOOK_DEFAULTS.secretGraceMs / 1000),
  WEBHOOK_LOG_RETENTION: duration.default(WEBHOOK_DEFAULTS.logRetentionMs / 1000),
  // The change feed: open streams per caller (429 beyond), keep-alive comments, slow clients.
  EVENTS_MAX_STREAMS_PER_PRINCIPAL: z.coerce.number().int().min(1).max(1000).default(5),
  EVENTS_KEEPALIVE_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  EVENTS_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(1024 * 1024),
  EVENTS_SLOW_CLIENT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  // How often the feed re-reads the log with no wake-up (a writer outside the API, a lost NOTIFY).
  EVENTS_FALLBACK_POLL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  // Callers' worker rows kept per process (each change is announced; 0 keeps none).
  WORKER_CACHE_TTL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3_600_000)
    .default(WORKER_CACHE_DEFAULTS.ttlMs),
  WORKER_CACHE_MAX_ENTRIES: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(WORKER_CACHE_DEFAULTS.maxEntries),
});

// The API's variables, then every service's (NODE_ENV, LOG_LEVEL, LOG_PRETTY, METRICS*).
const EnvSchema = z.object({ ...ApiEnvSchema.shape, ...ServiceEnvSchema.shape });

/** Beyond these, production refuses to start: each stretches how long a withdrawn key or a leaked token keeps working. */
export const PRODUCTION_LIMITS = {
  jwksMaxAgeSec: DAY,
  jwksStaleIfErrorSec: 7 * DAY,
  maxTokenAgeSec: 7 * DAY,
} as const;

/** API_WORKERS=auto never starts more: each holds DATABASE_POOL_MAX + 2 connections. */
export const MAX_AUTO_WORKERS = 8;

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  databaseUrl: string | undefined;
  /** Most pooled connections per process. */
  databasePoolMax: number;
  /** Processes serving the port: 1 on PGlite, whose database belongs to one process. */
  workers: number;
  pgliteDataDir: string | undefined;
  jwksUrl: URL;
  issuer: string | undefined;
  audience: string | undefined;
  allowedOrigins: string[];
  /** Log level, pretty logs and where /metrics is served. */
  service: ServiceSettings;
  bodyLimitBytes: number;
  /** Most calls in one tRPC batch request. */
  maxBatchSize: number;
  /** Least time between two fetches of the key set; an unknown kid refetches after it. */
  jwksCooldownMs: number;
  /** Calls per authenticated principal per minute, across every API process; 0: no limit. */
  rateLimitPerMinute: number;
  /** How often the key set is refreshed (in the background). */
  jwksMaxAgeMs: number;
  /** How long past jwksMaxAgeMs the last good key set is used while the key server fails. */
  jwksStaleIfErrorMs: number;
  /** The oldest token accepted, counted from its `iat`. */
  maxTokenAgeSec: number;
  /** How often this process returns tasks whose lease expired to pending; 0: never. */
  leaseSweepIntervalMs: number;
  /** The identity service (agent keys are exchanged there for /mcp); undefined: the JWKS URL's. */
  authServerUrl: string | undefined;
  /** The tools /mcp offers by default. */
  mcpTools: ToolSet;
  /** How webhooks are checked, sent and retried. */
  webhooks: WebhookSettings;
  /** How often this process delivers due webhook messages; 0: never. */
  webhookPollIntervalMs: number;
  /** The change feed's limits. */
  events: {
    maxStreamsPerPrincipal: number;
    keepAliveMs: number;
    maxBufferedBytes: number;
    slowClientMs: number;
    fallbackPollMs: number;
  };
  /** How long and how many callers' worker rows each process keeps. */
  workerCache: { ttlMs: number; maxEntries: number };
}

function isLoopback(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** Reads the environment; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(EnvSchema, env);
  const problems: string[] = [];
  const service = serviceSettings(e, problems);
  const production = e.NODE_ENV === 'production';

  const jwks =
    e.AUTH_JWKS_URL ??
    (e.AUTH_SERVER_URL && `${e.AUTH_SERVER_URL.replace(/\/$/, '')}/api/auth/jwks`);
  if (!jwks) {
    problems.push(
      'AUTH_JWKS_URL (or AUTH_SERVER_URL) is required: the API verifies bearer tokens against that key set',
    );
  }
  const jwksUrl = new URL(jwks ?? 'http://invalid.invalid/');
  const allowedOrigins = (e.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/$/, ''))
    .filter(Boolean);

  if (production) {
    // Refuse rather than guess: each of these is a hole in a real deployment.
    if (!e.DATABASE_URL)
      problems.push('DATABASE_URL is required in production (PGlite is for development)');
    if (!e.AUTH_ISSUER) problems.push('AUTH_ISSUER is required in production');
    if (!e.AUTH_AUDIENCE) problems.push('AUTH_AUDIENCE is required in production');
    if (jwks && jwksUrl.protocol !== 'https:' && !isLoopback(jwksUrl))
      problems.push('AUTH_JWKS_URL must use https in production');
    if (allowedOrigins.includes('*')) problems.push('ALLOWED_ORIGINS may not be * in production');
    if (e.AUTH_JWKS_MAX_AGE_SECONDS > PRODUCTION_LIMITS.jwksMaxAgeSec)
      problems.push(
        `AUTH_JWKS_MAX_AGE_SECONDS may not exceed ${PRODUCTION_LIMITS.jwksMaxAgeSec} in production: a key the issuer withdrew would stay trusted that long`,
      );
    if (e.AUTH_JWKS_STALE_IF_ERROR_SECONDS > PRODUCTION_LIMITS.jwksStaleIfErrorSec)
      problems.push(
        `AUTH_JWKS_STALE_IF_ERROR_SECONDS may not exceed ${PRODUCTION_LIMITS.jwksStaleIfErrorSec} in production`,
      );
    if (e.AUTH_MAX_TOKEN_AGE > PRODUCTION_LIMITS.maxTokenAgeSec)
      problems.push(
        `AUTH_MAX_TOKEN_AGE may not exceed ${PRODUCTION_LIMITS.maxTokenAgeSec / DAY}d in production: a leaked token would work that long`,
      );
  }
  if (problems.length) throw new ConfigError(problems);

  return {
    env: e.NODE_ENV,
    host: e.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    workers: !e.DATABASE_URL
      ? 1
      : e.API_WORKERS === undefined || e.API_WORKERS === 'auto'
        ? Math.min(availableParallelism(), MAX_AUTO_WORKERS)
        : e.API_WORKERS,
    pgliteDataDir: e.PGLITE_DATA_DIR,
    jwksUrl,
    issuer: e.AUTH_ISSUER,
    audience: e.AUTH_AUDIENCE,
    allowedOrigins,
    service,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    maxBatchSize: e.TRPC_MAX_BATCH_SIZE,
    jwksCooldownMs: e.AUTH_JWKS_COOLDOWN_SECONDS * 1000,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
    jwksMaxAgeMs: e.AUTH_JWKS_MAX_AGE_SECONDS * 1000,
    jwksStaleIfErrorMs: e.AUTH_JWKS_STALE_IF_ERROR_SECONDS * 1000,
    maxTokenAgeSec: e.AUTH_MAX_TOKEN_AGE,
    leaseSweepIntervalMs: e.LEASE_SWEEP_INTERVAL_MS ?? DEFAULT_LEASE_SWEEP_INTERVAL_MS,
    authServerUrl: e.AUTH_SERVER_URL,
    mcpTools: e.TASKFLOW_MCP_TOOLS ?? 'all',
    webhooks: {
      ...WEBHOOK_DEFAULTS,
      allowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS === 'true',
      timeoutMs: e.WEBHOOK_TIMEOUT * 1000,
      retryBaseMs: e.WEBHOOK_RETRY_BASE * 1000,
      retryMaxMs: e.WEBHOOK_RETRY_MAX * 1000,
      maxAgeMs: e.WEBHOOK_MAX_AGE * 1000,
      disableAfterFailures: e.WEBHOOK_DISABLE_AFTER_FAILURES,
      disableAfterMs: (e.WEBHOOK_DISABLE_AFTER ?? WEBHOOK_DEFAULTS.disableAfterMs / 1000) * 1000,
      secretGraceMs: e.WEBHOOK_SECRET_GRACE * 1000,
      logRetentionMs: e.WEBHOOK_LOG_RETENTION * 1000,
    },
    webhookPollIntervalMs: e.WEBHOOK_POLL_INTERVAL_MS ?? DEFAULT_WEBHOOK_POLL_INTERVAL_MS,
    events: {
      maxStreamsPerPrincipal: e.EVENTS_MAX_STREAMS_PER_PRINCIPAL,
      keepAliveMs: e.EVENTS_KEEPALIVE_MS,
      maxBufferedBytes: e.EVENTS_MAX_BUFFERED_BYTES,
      slowClientMs: e.EVENTS_SLOW_CLIENT_MS,
      fallbackPollMs: e.EVENTS_FALLBACK_POLL_MS,
    },
    workerCache: { ttlMs: e.WORKER_CACHE_TTL_MS, maxEntries: e.WORKER_CACHE_MAX_ENTRIES },
  };
}
