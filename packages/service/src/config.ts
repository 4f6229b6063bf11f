import { z } from 'zod';
import { isLogLevel, type LogLevel } from './logger';
import type { MetricsExposure } from './metrics';

/** A configuration the service refuses to start with; every problem listed at once. */
export class ConfigError extends Error {
  /** EX_CONFIG: `pnpm start`'s supervisor does not restart a service that exits with it. */
  readonly exitCode = 78;
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** The environment through a zod schema; a ConfigError naming each bad variable otherwise. */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`),
    );
  }
  return parsed.data;
}

/** Empty counts as unset, as a blank line in an .env file means. */
export const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

const booleanString = z.enum(['true', 'false']).optional();

/** Variables every service reads: logging and metrics. */
export const ServiceEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: optionalString.refine((v) => v === undefined || isLogLevel(v), {
    message: 'must be one of trace, debug, info, warn, error, fatal, silent',
  }),
  LOG_PRETTY: optionalString.pipe(booleanString),
  METRICS: optionalString.pipe(z.enum(['on', 'off']).optional()),
  METRICS_TOKEN: optionalString.pipe(
    z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  ),
  METRICS_PORT: optionalString.pipe(z.coerce.number<string>().int().min(0).max(65535).optional()),
  METRICS_HOST: optionalString,
});
export type ServiceEnv = z.output<typeof ServiceEnvSchema>;

export interface ServiceSettings {
  logLevel: LogLevel;
  prettyLogs: boolean;
  metrics: MetricsExposure;
}

/**
 * Logging and metrics settings. /metrics is on by default in development; in production
 * only behind METRICS_TOKEN or on METRICS_PORT (either turns it on unless METRICS=off),
 * since it names routes and volumes to whoever can reach it.
 */
export function serviceSettings(e: ServiceEnv, problems: string[]): ServiceSettings {
  const production = e.NODE_ENV === 'production';
  // Unset: on in development, and in production once a token or a port says how to serve it.
  const wanted = e.METRICS
    ? e.METRICS === 'on'
    : !production || e.METRICS_TOKEN !== undefined || e.METRICS_PORT !== undefined;
  let metrics: MetricsExposure = { mode: 'off' };
  if (wanted && e.METRICS_PORT !== undefined) {
    metrics = {
      mode: 'own-port',
      port: e.METRICS_PORT,
      host: e.METRICS_HOST ?? '127.0.0.1',
      token: e.METRICS_TOKEN,
    };
  } else if (wanted) {
    if (production && !e.METRICS_TOKEN)
      problems.push('METRICS=on in production needs METRICS_TOKEN or METRICS_PORT');
    metrics = { mode: 'same-port', token: e.METRICS_TOKEN };
  }
  return {
    logLevel: (e.LOG_LEVEL as LogLevel | undefined) ?? 'info',
    prettyLogs:
      e.LOG_PRETTY === 'true' ||
      (e.LOG_PRETTY === undefined && e.NODE_ENV === 'development' && process.stderr.isTTY === true),
    metrics,
  };
}
