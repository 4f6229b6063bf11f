import { setMaxListeners } from 'node:events';
import type { DB, Kysely } from '@taskflow/db';
import {
  type DispatchReport,
  dispatchDueWebhooks,
  pruneWebhookLog,
  type WebhookSettings,
} from '@taskflow/router';
import type { Logger } from '@taskflow/service';

export const DEFAULT_WEBHOOK_POLL_INTERVAL_MS = 1_000;
/** Rounds one wake-up runs at most before sleeping again (each claims up to batchSize). */
const MAX_ROUNDS = 20;
/** How often settled messages past their retention are deleted (any process may; SKIP LOCKED). */
const PRUNE_EVERY_MS = 10 * 60_000;

export interface WebhookDispatcher {
  /** Look for due messages now (a change just committed); cheap to call often. */
  wake(): void;
  /** Stops the timer, aborts the deliveries in flight and waits until they are recorded. */
  stop(): Promise<void>;
}

/**
 * Every API process runs one. The database decides who sends what (SKIP LOCKED and a
 * lease on each claimed message), so running many never sends a message twice at once.
 * It polls every `intervalMs` (other processes' changes, retries coming due) and is
 * woken at once by this process's commits; a LISTEN/NOTIFY wake-up can call wake() too.
 */
export function startWebhookDispatcher(
  db: Kysely<DB>,
  logger: Logger,
  settings: WebhookSettings,
  intervalMs: number,
  onReport?: (report: DispatchReport) => void,
): WebhookDispatcher {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let prunedAt = Date.now();
  const stopping = new AbortController();
  // Every message of a batch in flight listens for the stop: more than Node's default ten.
  setMaxListeners(settings.batchSize + 10, stopping.signal);

  const round = async () => {
    try {
      if (Date.now() - prunedAt >= PRUNE_EVERY_MS) {
        prunedAt = Date.now();
        const pruned = await pruneWebhookLog(db, settings);
        if (pruned) logger.info({ pruned }, 'old webhook messages and their delivery log deleted');
      }
      for (let i = 0; i < MAX_ROUNDS && !stopped; i++) {
        const report = await dispatchDueWebhooks(db, settings, stopping.signal);
        onReport?.(report);
        if (report.failed) logger.info(report, 'webhook deliveries failed; they will be retried');
        if (report.claimed < settings.batchSize) break;
      }
    } catch (error) {
      if (!stopped) logger.warn({ err: error }, 'webhook dispatch failed');
    }
  };
  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = round().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        run();
      } else schedule();
    });
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(run, intervalMs);
    timer.unref();
  };
  schedule();
  return {
    wake: run,
    // Deliveries in flight are cut short (and retried later, by any process), so a
    // slow endpoint cannot hold up the shutdown; their outcome is still recorded.
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      stopping.abort();
      await running;
    },
  };
}
