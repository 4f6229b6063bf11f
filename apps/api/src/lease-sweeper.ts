import type { DB, Kysely } from '@taskflow/db';
import { type SweptTask, sweepExpiredLeases } from '@taskflow/router';
import type { Logger } from '@taskflow/service';

export const DEFAULT_LEASE_SWEEP_INTERVAL_MS = 5_000;
/** Tasks one sweep statement takes at most. */
const SWEEP_BATCH = 100;

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

  const report = (swept: SweptTask[]) => {
    if (swept.length) {
      onSwept?.(swept.length);
      logger.info(
        { swept: swept.map((t) => ({ id: t.id, previous_assignee: t.previous_assignee })) },
        'leases expired: tasks returned to pending',
      );
    }
  };
  const tick = async () => {
    try {
      // A full batch means more may be waiting: keep going (a few rounds) before sleeping.
      let swept = await sweepExpiredLeases(db, SWEEP_BATCH);
      for (let round = 1; swept.length === SWEEP_BATCH && round < 10; round++) {
        report(swept);
        swept = await sweepExpiredLeases(db, SWEEP_BATCH);
      }
      report(swept);
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
