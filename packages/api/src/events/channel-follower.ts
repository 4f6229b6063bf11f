import type { Listen, NotificationListener } from '@taskflow/db';
import type { Logger } from '@taskflow/service';

export interface ChannelFollowerOptions {
  listen: Listen;
  channel: string;
  logger: Logger;
  /** Names the follower in log lines ("change feed", "worker cache"). */
  label: string;
  onNotify(payload: string): void;
  /**
   * The LISTEN is in place, first or again: whatever was announced before went
   * unheard, so the owner catches up (re-reads the log, starts its cache afresh).
   */
  onListening?(): void;
  /** The connection is gone; announcements go unheard until onListening. */
  onLost?(): void;
}

const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 10_000;

/**
 * Keeps one LISTEN in place: reconnects with backoff after a lost connection or a
 * failed attempt, and tells its owner when it is lost and when it is back, since a
 * NOTIFY sent while nobody listened is gone.
 */
export class ChannelFollower {
  private listener: NotificationListener | undefined;
  private retryMs = FIRST_RETRY_MS;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: ChannelFollowerOptions) {}

  get listening(): boolean {
    return this.listener !== undefined;
  }

  /** Resolves once the first attempt is over; a failure is retried, not thrown. */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const { listen, channel, logger, label } = this.options;
    try {
      const listener = await listen(channel, {
        onNotify: (payload) => this.options.onNotify(payload),
        onLost: (error) => {
          this.listener = undefined;
          this.options.onLost?.();
          logger.warn({ err: error }, `${label}: LISTEN connection lost`);
          this.retryLater();
        },
      });
      if (this.closed) {
        await listener.close();
        return;
      }
      this.listener = listener;
      this.retryMs = FIRST_RETRY_MS;
      this.options.onListening?.();
    } catch (error) {
      logger.warn({ err: error }, `${label}: LISTEN failed; retrying`);
      this.retryLater();
    }
  }

  private retryLater(): void {
    if (this.closed) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(delay * 2, LONGEST_RETRY_MS);
    this.timer = setTimeout(() => void this.connect(), delay);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.listener?.close();
    this.listener = undefined;
  }
}
