import {
  ConfigError,
  optionalString,
  parseEnv,
  ServiceEnvSchema,
  type ServiceSettings,
  serviceSettings,
} from '@taskflow/service';
import { z } from 'zod';
import { UPSTREAM_TIMEOUT_MS } from './proxy';

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:8000' })
  .optional();

const WebEnvSchema = ServiceEnvSchema.extend({
  WEB_PORT: optionalString.pipe(z.coerce.number<string>().int().min(0).max(65535).optional()),
  HOST: optionalString,
  API_INTERNAL_URL: optionalString.pipe(httpUrl),
  API_URL: optionalString.pipe(httpUrl),
  AUTH_INTERNAL_URL: optionalString.pipe(httpUrl),
  AUTH_URL: optionalString.pipe(httpUrl),
  WEB_UPSTREAM_TIMEOUT_MS: optionalString.pipe(
    z.coerce.number<string>().int().min(1).max(600_000).optional(),
  ),
});

export interface WebConfig {
  service: ServiceSettings;
  port: number;
  host: string;
  /** Where /trpc, /api, /openapi.json and /docs go. */
  apiUrl: string;
  /** Where /api/auth and /api/agents go. */
  authUrl: string;
  /** How long an upstream may take to answer before the client gets a 504. */
  upstreamTimeoutMs: number;
}

/** The web server's settings from the environment, with the defaults `pnpm start` relies on. */
export function loadWebConfig(env: NodeJS.ProcessEnv = process.env): WebConfig {
  const e = parseEnv(WebEnvSchema, env);
  const problems: string[] = [];
  const service = serviceSettings(e, problems);
  if (problems.length) throw new ConfigError(problems);
  return {
    service,
    port: e.WEB_PORT ?? 3000,
    host: e.HOST ?? (e.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1'),
    apiUrl: e.API_INTERNAL_URL ?? e.API_URL ?? 'http://127.0.0.1:8000',
    authUrl: e.AUTH_INTERNAL_URL ?? e.AUTH_URL ?? 'http://127.0.0.1:3001',
    upstreamTimeoutMs: e.WEB_UPSTREAM_TIMEOUT_MS ?? UPSTREAM_TIMEOUT_MS,
  };
}
