import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export interface LoggerConfig {
  /** Named on every line, so the three services' logs can share a stream. */
  service: string;
  level?: LogLevel;
  /** Human-readable lines (pino-pretty) instead of JSON; for a developer's terminal. */
  pretty?: boolean;
  /** Where JSON lines go instead of stderr (tests read them from here). */
  destination?: DestinationStream;
}

/**
 * JSON lines on stderr (stdout stays free for a CLI's output and for `pnpm start`'s own lines),
 * with the level as a word and an ISO time: `{"level":"info","time":"...","service":"api",...}`.
 */
export function createLogger({
  service,
  level = 'info',
  pretty = false,
  destination,
}: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Never let a credential reach the logs, whoever logs a request's headers.
    redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'],
  };
  if (pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return pino(options, destination ?? pino.destination({ dest: 2, sync: false }));
}
