import type { DB, Kysely } from '@taskflow/db';
import { sweepExpiredLeases } from '@taskflow/router';
import type { Logger } from '@taskflow/service';

export const DEFAULT_LEASE_SWEEP_INTERVAL_MS = 5_000;

export interface LeaseSweeper {
  /** Stops the timer and waits for a sweep in flight. */
  stop(): Promise<void>;
}

/**
 * Every API process runs one: the database decides which process sweeps
 * which task (SKIP LOCKED), so running many is safe. A sweep that fails (the
 * database is down) is logged and retried at the next tick.
 */
export function startLeaseSweeper(
  db: Kysely<DB>,
  logger: Logger,
  intervalMs: number,
  onSwept?: (auditRows: number) => void,
): LeaseSweeper {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const tick = async () => {
    try {
      const swept = await sweepExpiredLeases(db);
      if (swept.length) {
        onSwept?.(swept.length);
        logger.info(
          { swept: swept.map((t) => ({ id: t.id, previous_assignee: t.previous_assignee })) },
          'leases expired: tasks returned to pending',
        );
      }
    } catch (error) {
      if (!stopped) logger.warn({ err: error }, 'lease sweep failed');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = tick().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
