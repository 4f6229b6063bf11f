import { type DB, type Kysely, sql, type WorkerRow } from '@taskflow/db';

/** Where a process says a worker's row changed, so every process forgets its copy. */
export const WORKERS_CHANNEL = 'taskflow_workers';

export const WORKER_CACHE_DEFAULTS = {
  /** Most callers remembered; the least recently seen goes first. */
  maxEntries: 10_000,
  /**
   * How long a copy is trusted. A change made by another process is announced
   * (WORKERS_CHANNEL) and forgotten at once; this bounds what a lost announcement
   * (a LISTEN connection down at that moment) can leave stale.
   */
  ttlMs: 30_000,
} as const;

export interface WorkerCacheOptions {
  maxEntries?: number | undefined;
  ttlMs?: number | undefined;
}

/**
 * The callers' worker rows, so an authenticated request needs no look-up of its
 * own: a read is then one query. Bounded, and each copy is forgotten when its row
 * changes, here or (through WORKERS_CHANNEL) in any other process.
 */
export class WorkerCache {
  private readonly rows = new Map<string, { row: WorkerRow; until: number }>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private forgotten = 0;
  /** Off until the announcements can be heard (WORKERS_CHANNEL), and whenever they cannot. */
  private trusted = false;

  constructor(options: WorkerCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? WORKER_CACHE_DEFAULTS.maxEntries;
    this.ttlMs = options.ttlMs ?? WORKER_CACHE_DEFAULTS.ttlMs;
  }

  get size(): number {
    return this.rows.size;
  }

  /**
   * Taken before reading a row from the database and handed to `set`: a row read
   * before a change was announced must not be kept after it was forgotten.
   */
  get generation(): number {
    return this.forgotten;
  }

  /** The announcements are heard (again): start afresh, since those missed are gone. */
  listening(): void {
    this.clear();
    this.trusted = true;
  }

  /** The announcements are not heard: copies could go stale unnoticed, so none is kept. */
  deaf(): void {
    this.trusted = false;
    this.clear();
  }

  get(id: string): WorkerRow | undefined {
    if (!this.trusted) return undefined;
    const entry = this.rows.get(id);
    if (!entry) return undefined;
    this.rows.delete(id);
    if (entry.until <= Date.now()) return undefined;
    // Re-inserted: a Map iterates in insertion order, so the first key is the least recent.
    this.rows.set(id, entry);
    return entry.row;
  }

  set(row: WorkerRow, readAt: number): void {
    if (!this.trusted || readAt !== this.forgotten) return;
    this.rows.delete(row.id);
    this.rows.set(row.id, { row, until: Date.now() + this.ttlMs });
    while (this.rows.size > this.maxEntries) {
      const oldest = this.rows.keys().next().value;
      if (oldest === undefined) break;
      this.rows.delete(oldest);
    }
  }

  forget(id: string): void {
    this.forgotten++;
    this.rows.delete(id);
  }

  clear(): void {
    this.forgotten++;
    this.rows.clear();
  }
}

/**
 * Tells every process (this one included) to forget its copy of the worker's row.
 * Inside the transaction that changes the row, so it is heard only if that commits
 * and only after. Such changes are rare (a registration, a rename, an admin's edit).
 */
export async function announceWorkerChange(db: Kysely<DB>, id: string): Promise<void> {
  await sql`select pg_notify(${WORKERS_CHANNEL}, ${id})`.execute(db);
}
