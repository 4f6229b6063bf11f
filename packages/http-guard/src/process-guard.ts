import { describeError, type LogFn } from './guard-requests';

/**
 * The last resort of a long-running server: an exception or rejection that
 * escaped every handler is logged with its stack and the process keeps
 * serving, so one request cannot take the service down for everyone.
 * Install it once the server listens: failures at start-up must still exit.
 */
export function installProcessGuard(logError: LogFn): void {
  process.on('uncaughtException', (error, origin) => {
    logError('uncaught exception; still serving', { origin, error: describeError(error) });
  });
  process.on('unhandledRejection', (reason) => {
    logError('unhandled rejection; still serving', { error: describeError(reason) });
  });
}
