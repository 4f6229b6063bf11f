import type { ChangeEvent, ChangeFilter } from '@taskflow/contracts';
import type { DB, Kysely, Listen } from '@taskflow/db';
import { sql } from '@taskflow/db';
import type { Logger } from '@taskflow/service';
import { anyStillWriting, auditWriters } from './audit-writers';
import {
  MEMBERSHIP_ACTIONS,
  matchesFilter,
  membershipChangeOf,
  toChangeEvents,
} from './change-events';
import { ChannelFollower } from './channel-follower';
import { SettledReader } from './settled-reader';
import type { MembershipView } from './visibility';

/** setTimeout's longest delay; a token valid longer than that is not timed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a caller over the stream limit is told to wait (Retry-After): streams end often enough. */
const STREAM_LIMIT_RETRY_AFTER_S = 5;

/**
 * The channel API processes NOTIFY after committing audit rows (`committed()`), and that
 * audit_log's trigger notifies for any other writer (migrations 0008 and 0012).
 */
export const CHANGES_CHANNEL = 'taskflow_changes';

export const CHANGE_HUB_DEFAULTS = {
  ringSize: 2_000,
  readBatch: 500,
  gapPollMs: 50,
  fallbackPollMs: 5_000,
  announce: true,
  maxStreamsPerPrincipal: 5,
  maxBufferedBytes: 1024 * 1024,
  slowClientMs: 15_000,
} as const;

export interface ChangeHubOptions {
  db: Kysely<DB>;
  /** The wake-up; without it the hub still works, on its fallback timer alone. */
  listen?: Listen | undefined;
  /**
   * Whether `committed()` tells other processes (NOTIFY): on PostgreSQL, where API
   * processes share the log; not on PGlite, where this process is the only one.
   */
  announce?: boolean | undefined;
  logger: Logger;
  /** Recent events kept in memory for live fan-out. */
  ringSize?: number | undefined;
  /** Most rows one read of the log takes. */
  readBatch?: number | undefined;
  /** How soon to look again while an id is missing whose transaction may still commit. */
  gapPollMs?: number | undefined;
  /** Reads the log this often even without a wake-up (a lost NOTIFY, a dropped LISTEN). */
  fallbackPollMs?: number | undefined;
  maxStreamsPerPrincipal?: number | undefined;
  /** A stream whose socket holds more unsent bytes than this is cut off (it may resume). */
  maxBufferedBytes?: number | undefined;
  /** A stream whose socket has not drained for this long is cut off (it may resume). */
  slowClientMs?: number | undefined;
}

/** What the host tells the hub about a stream's connection. */
export interface StreamGuard {
  /** Bytes written but not yet taken by the socket. */
  buffered(): number;
  /** Whether the socket is waiting to drain (the client reads slower than we write). */
  blocked(): boolean;
  /** Drops the connection (the client reconnects and resumes from its last id). */
  disconnect(): void;
}

export class StreamLimitExceeded extends Error {
  constructor(
    readonly limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`At most ${limit} open event streams per caller; close one or retry later`);
  }
}

/** One open stream's place in the hub; ends when released, on shutdown, or when too slow. */
export interface StreamSlot {
  readonly signal: AbortSignal;
  release(): void;
}

interface OpenStream {
  principal: string;
  controller: AbortController;
  guard: StreamGuard | undefined;
  blockedSince: number | undefined;
}

export interface EventBatch {
  events: ChangeEvent[];
  /** Everything up to here was looked at: the cursor to read after next. */
  cursor: number;
}

/**
 * One per process: follows audit_log in id order (gap-safe, see SettledReader), keeps a
 * ring of recent events, and wakes the streams. PostgreSQL's LISTEN (or PGlite's
 * in-process listeners) says when to look; the log itself says what happened.
 * Started by the first reader, so a process nobody streams from reads nothing.
 */
export class ChangeHub {
  private readonly options: Required<Omit<ChangeHubOptions, 'listen'>> & { listen?: Listen };
  private announcing = false;
  private announceAgain = false;
  private readonly db: Kysely<DB>;
  private reader: SettledReader | undefined;
  private started: Promise<void> | undefined;
  private closed = false;
  /** Every id up to here is settled and read. */
  private settled = 0;
  private ring: ChangeEvent[] = [];
  /** The ring holds every settled event after this id. */
  private ringFrom = 0;
  private waiters = new Set<() => void>();
  private dirty = false;
  private reading = false;
  private timers = new Set<NodeJS.Timeout>();
  private fallback: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private follower: ChannelFollower | undefined;
  private readonly streams = new Set<OpenStream>();
  private readonly perPrincipal = new Map<string, number>();

  constructor(options: ChangeHubOptions) {
    // An option given as undefined keeps its default.
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { ...CHANGE_HUB_DEFAULTS, ...given } as typeof this.options;
    this.db = options.db;
  }

  get horizon(): number {
    return this.settled;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Starts following the log (once); resolves when the horizon is known to be settled. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the change hub is closed'));
    this.started ??= this.begin().catch((error: unknown) => {
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  private async begin(): Promise<void> {
    const { rows } = await sql<{ max: number | string }>`
      select coalesce(max(id), 0) as max from audit_log`.execute(this.db);
    const first = rows[0];
    if (!first) throw new Error('no answer from audit_log');
    const max = Number(first.max);
    // Ids below max may belong to audit writers still running: wait until those end.
    const writers = await auditWriters(this.db);
    while (!this.closed && (await anyStillWriting(this.db, writers)))
      await new Promise((r) => setTimeout(r, this.options.gapPollMs));
    this.reader = new SettledReader(max);
    this.settled = max;
    this.ringFrom = max;
    this.fallback = setInterval(() => this.poke(), this.options.fallbackPollMs);
    this.fallback.unref();
    this.sweeper = setInterval(() => this.cutSlowStreams(), 1_000);
    this.sweeper.unref();
    const listen = this.options.listen;
    if (listen && !this.closed) {
      this.follower = new ChannelFollower({
        listen,
        channel: CHANGES_CHANNEL,
        logger: this.options.logger,
        label: 'change feed',
        onNotify: () => this.poke(),
        // Whatever was written while nobody listened (the fallback timer reads meanwhile).
        onListening: () => this.poke(),
      });
      await this.follower.start();
    }
    this.poke();
  }

  private later(ms: number, run: () => void | Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void run();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  /**
   * This process committed audit rows: read them here at once, and wake the other
   * processes with one NOTIFY. Writers never NOTIFY inside their own transactions: every
   * transaction that does takes one cluster-wide lock in turn at commit, which held
   * writes to a few hundred a second. The NOTIFYs are coalesced instead: at most one in
   * flight and one more after it, however many commits there are meanwhile.
   */
  committed(): void {
    if (this.closed) return;
    this.poke();
    if (!this.options.announce) return;
    if (this.announcing) {
      this.announceAgain = true;
      return;
    }
    this.announcing = true;
    void (async () => {
      try {
        do {
          this.announceAgain = false;
          await sql`select pg_notify(${CHANGES_CHANNEL}, '')`.execute(this.db);
        } while (this.announceAgain && !this.closed);
      } catch (error) {
        // The others' fallback timers still find the change.
        this.options.logger.warn({ err: error }, 'change feed: NOTIFY failed');
      } finally {
        this.announcing = false;
      }
    })();
  }

  /** Something may have been written: read the log (coalesced with a read under way). */
  poke(): void {
    if (this.closed || !this.reader) return;
    this.dirty = true;
    if (!this.reading) void this.readLog();
  }

  private async readLog(): Promise<void> {
    const reader = this.reader;
    if (!reader) return;
    this.reading = true;
    try {
      while (this.dirty && !this.closed) {
        this.dirty = false;
        const rows = await reader.read(this.db, this.options.readBatch);
        if (rows.length) this.append(await toChangeEvents(this.db, rows));
        if (rows.length === this.options.readBatch) this.dirty = true;
        if (reader.cursor !== this.settled) {
          this.settled = reader.cursor;
          this.wake();
        }
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'change feed: reading the audit log failed');
      this.later(1_000, () => this.poke());
    } finally {
      this.reading = false;
    }
    if (reader.waiting && !this.closed) this.later(this.options.gapPollMs, () => this.poke());
  }

  private append(events: ChangeEvent[]): void {
    for (const event of events) this.ring.push(event);
    const excess = this.ring.length - this.options.ringSize;
    if (excess > 0) {
      const dropped = this.ring.splice(0, excess);
      this.ringFrom = dropped.at(-1)?.id ?? this.ringFrom;
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Resolves once events after `cursor` have settled, or the signal aborts, or the hub closes. */
  waitForChange(cursor: number, signal: AbortSignal): Promise<void> {
    if (this.settled > cursor || signal.aborted || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  /**
   * The settled events after `cursor` that the view's reader may see and `filter` wants,
   * oldest first: from the ring when it reaches back that far, else from the database.
   */
  async eventsAfter(
    cursor: number,
    filter: ChangeFilter,
    view: MembershipView,
    limit: number,
  ): Promise<EventBatch> {
    const horizon = this.settled;
    if (cursor >= horizon) return { events: [], cursor };
    const events: ChangeEvent[] = [];
    let at = cursor;
    for (;;) {
      const fromLog = at < this.ringFrom;
      const candidates = fromLog
        ? await this.fromLog(at, horizon, filter, view, limit)
        : this.fromRing(at, horizon);
      let rechoose = false;
      for (const event of candidates) {
        // Every event passes the view, in order, so membership changes take effect in place.
        const visible = await view.visible(event);
        if (visible && matchesFilter(event, filter)) events.push(event);
        if (events.length === limit) return { events, cursor: event.id };
        // A page of the log is chosen by the reader's projects: after a change to them,
        // read on from here with the projects as they are now.
        if (fromLog && membershipChangeOf(event) === view.viewer.id) {
          at = event.id;
          rechoose = true;
          break;
        }
      }
      if (rechoose) continue;
      const last = candidates.at(-1);
      // A full page of the log ends at its last row; otherwise all up to the horizon was seen.
      return { events, cursor: fromLog && candidates.length === limit && last ? last.id : horizon };
    }
  }

  /** The ring's events after `cursor`, up to the horizon (a copy: the ring moves on). */
  private fromRing(cursor: number, horizon: number): ChangeEvent[] {
    const ring = this.ring;
    let lo = 0;
    let hi = ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ring[mid]?.id ?? 0) <= cursor) lo = mid + 1;
      else hi = mid;
    }
    return ring.slice(lo).filter((e) => e.id <= horizon);
  }

  /**
   * A page of the log after `cursor`. For a member, only their projects' rows and the
   * membership changes (which the view must see to follow joins and leaves).
   */
  private async fromLog(
    cursor: number,
    horizon: number,
    filter: ChangeFilter,
    view: MembershipView,
    limit: number,
  ): Promise<ChangeEvent[]> {
    const admin = view.viewer.is_admin;
    const mine = admin ? undefined : await view.projects();
    const wanted = filter.project_slug;
    const slugs = mine && (wanted === undefined ? [...mine] : mine.has(wanted) ? [wanted] : []);
    const query = this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '>', cursor)
      .where('id', '<=', horizon)
      .where((eb) => {
        const rows = eb.and([
          ...(filter.task_id === undefined ? [] : [eb('task_id', '=', filter.task_id)]),
          ...(slugs === undefined
            ? wanted === undefined
              ? []
              : [eb('project_slug', '=', wanted)]
            : slugs.length
              ? [eb('project_slug', 'in', slugs)]
              : [eb.lit(false)]),
        ]);
        return slugs === undefined ? rows : eb.or([rows, eb('action', 'in', MEMBERSHIP_ACTIONS)]);
      });
    return toChangeEvents(this.db, await query.orderBy('id').limit(limit).execute());
  }

  /** Takes a stream slot for `principal`; throws StreamLimitExceeded past the limit. */
  /**
   * A stream for `principal`, counted against its limit. At `expiresAt` (the caller's
   * token lapsing) the stream is cut like a slow one: its client reconnects with fresh
   * credentials and resumes, so who may read what is checked again.
   */
  openStream(principal: string, guard?: StreamGuard, expiresAt?: number): StreamSlot {
    if (this.closed) throw new Error('the change hub is closed');
    const open = this.perPrincipal.get(principal) ?? 0;
    const limit = this.options.maxStreamsPerPrincipal;
    if (open >= limit) throw new StreamLimitExceeded(limit, STREAM_LIMIT_RETRY_AFTER_S);
    this.perPrincipal.set(principal, open + 1);
    const stream: OpenStream = {
      principal,
      controller: new AbortController(),
      guard,
      blockedSince: undefined,
    };
    this.streams.add(stream);
    const lapse = expiresAt === undefined ? Number.NaN : Math.max(0, expiresAt - Date.now());
    const expiry =
      lapse >= 0 && lapse < MAX_TIMER_MS
        ? setTimeout(() => {
            this.options.logger.info(
              { principal },
              'change feed: credentials expired, disconnected',
            );
            stream.controller.abort();
            guard?.disconnect();
          }, lapse)
        : undefined;
    expiry?.unref();
    let released = false;
    return {
      signal: stream.controller.signal,
      release: () => {
        if (released) return;
        released = true;
        clearTimeout(expiry);
        this.streams.delete(stream);
        const left = (this.perPrincipal.get(principal) ?? 1) - 1;
        if (left > 0) this.perPrincipal.set(principal, left);
        else this.perPrincipal.delete(principal);
        stream.controller.abort();
      },
    };
  }

  /** Cuts off streams whose clients read too slowly; they resume from their last id. */
  private cutSlowStreams(): void {
    const now = Date.now();
    for (const stream of this.streams) {
      const guard = stream.guard;
      if (!guard) continue;
      const blocked = guard.blocked();
      stream.blockedSince = blocked ? (stream.blockedSince ?? now) : undefined;
      const tooFull = guard.buffered() > this.options.maxBufferedBytes;
      const tooLong =
        stream.blockedSince !== undefined && now - stream.blockedSince > this.options.slowClientMs;
      if (tooFull || tooLong) {
        this.options.logger.info(
          { principal: stream.principal, buffered: guard.buffered() },
          'change feed: client too slow, disconnected',
        );
        stream.controller.abort();
        guard.disconnect();
      }
    }
  }

  /**
   * Ends every stream and stops following the log. Connections are dropped rather than
   * ended: to an EventSource or tRPC's httpSubscriptionLink a drop means "reconnect"
   * (to another process, resuming from the last id), while tRPC reads a stream that
   * ends normally as the subscription being over.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.fallback);
    clearInterval(this.sweeper);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const stream of this.streams) {
      stream.controller.abort();
      stream.guard?.disconnect();
    }
    this.wake();
    await this.started?.catch(() => undefined);
    await this.follower?.close();
  }
}
