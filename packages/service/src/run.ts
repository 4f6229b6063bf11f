import { installProcessGuard } from '@taskflow/http-guard';
import type { ServiceSettings } from './config';
import { createLogger, type Logger } from './logger';

export interface Started {
  /** Stops accepting work, lets in-flight requests finish, releases the database. */
  close(): Promise<void>;
}

export interface ServiceMain<C extends { service: ServiceSettings }> {
  /** As people call it: "TaskFlow API". */
  name: string;
  /** As log lines and metrics name it: "api". */
  service: string;
  loadConfig(): C;
  /** Starts serving with the logger the config's settings describe. */
  start(config: C, logger: Logger): Promise<Started>;
  /** How long in-flight requests get on SIGTERM before the process leaves anyway. */
  shutdownTimeoutMs?: number;
}

/** An error that names its exit code (78 config refused, 75 data directory busy). */
function exitCodeOf(error: unknown): number {
  const code = (error as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === 'number' ? code : 1;
}

/**
 * A service's main: load the config, start, then stop cleanly on SIGTERM / SIGINT.
 * A refusal exits with the error's own code, so a supervisor can tell "fix the
 * config" (78) from "try again later" (75) from a crash (1).
 */
export function runService<C extends { service: ServiceSettings }>(main: ServiceMain<C>): void {
  const refuse = (error: unknown): never => {
    const code = exitCodeOf(error);
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      code === 1
        ? `${main.name} failed to start: ${message}\n`
        : `${main.name} cannot start. ${message}\n`,
    );
    process.exit(code);
  };
  let config: C;
  try {
    config = main.loadConfig();
  } catch (error) {
    refuse(error);
    return;
  }
  const logger = createLogger({
    service: main.service,
    level: config.service.logLevel,
    pretty: config.service.prettyLogs,
  });
  main.start(config, logger).then(({ close }) => {
    // Only now: a failure while starting must still end the process.
    installProcessGuard((msg, fields) => logger.error(fields, msg));
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      // The log is written asynchronously: exit once its last line is out.
      const exit = (code: number) => logger.flush(() => process.exit(code));
      setTimeout(() => {
        logger.warn('shutdown timed out; exiting');
        exit(1);
      }, main.shutdownTimeoutMs ?? 10_000).unref();
      close().then(
        () => {
          logger.info('stopped');
          exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          exit(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  }, refuse);
}
