import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { type Dialect, Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock';
import { nameStatements } from './named-statements';
import { type Listen, pgliteListen, postgresListen } from './notifications';
import type { DB } from './schema';
import { parseTimestamptz, TIMESTAMPTZ_OID } from './timestamps';

export type DbKind = 'postgres' | 'pglite';

export interface DbOptions {
  /** postgres://... — when unset, embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** Where PGlite keeps its files; default <repo>/.data/pglite. `memory://` keeps nothing. */
  dataDir?: string | undefined;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
  /**
   * Called when a pooled connection fails (the server restarted, a failover,
   * pg_terminate_backend), idle or in use. The pool drops it and reconnects.
   */
  onPoolError?: (error: Error) => void;
  /**
   * Whether audit rows written through this pool wake the change feed from their own
   * transactions (audit_log's trigger, as for any writer the API does not know). Off by
   * default: the API announces its commits itself (see migration 0012). Tests that write
   * the log by hand turn it on.
   */
  notifyFromTrigger?: boolean;
}

export interface Database {
  db: Kysely<DB>;
  kind: DbKind;
  /** Where the data lives, for logs: host/db for PostgreSQL, a folder for PGlite. */
  location: string;
  /** The pg pool behind `db` on PostgreSQL, for libraries that need one (the API's rate limiter). */
  pool?: pg.Pool | undefined;
  /** LISTEN on a channel: a dedicated connection on PostgreSQL, PGlite's own listeners in-process. */
  listen: Listen;
  close(): Promise<void>;
}

/** The repository's .data folder, whichever package's directory a command runs in. */
export const DEFAULT_PGLITE_DIR = fileURLToPath(new URL('../../../.data/pglite', import.meta.url));

const INT8_OID = 20;
const NUMERIC_OID = 1700;
/** An empty array without pg-types' general array parser (a fresh one: callers may push). */
function emptyFirst(parse: (text: string) => unknown): (text: string) => unknown {
  return (text) => (text === '{}' ? [] : parse(text));
}

/**
 * int4[] and text[] (a task's edges and tags, empty on most tasks), made once: pg asks for
 * a parser per column of every result.
 */
const ARRAY_PARSERS = new Map(
  [1007, 1009].map((oid) => [oid, emptyFirst(pg.types.getTypeParser(oid, 'text'))]),
);

/** audit_log ids are int8: read them as numbers (exact below 2^53). Timestamps: see PgTimestamp. */
function pgTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
      if (oid === TIMESTAMPTZ_OID && format !== 'binary') return parseTimestamptz;
      const array = format === 'binary' ? undefined : ARRAY_PARSERS.get(oid);
      if (array) return array;
      return pg.types.getTypeParser(oid, format);
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.host}${u.pathname}`;
  } catch {
    return 'postgres (unparseable DATABASE_URL)';
  }
}

/**
 * pg lets a connection string's `options` (say `?options=-c%20statement_timeout%3D5s`)
 * replace the pool's own. Both are kept: the URL's last, so a setting it names wins.
 */
function withUrlOptions(url: string, own: string): { connectionString: string; options: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { connectionString: url, options: own };
  }
  const fromUrl = parsed.searchParams.get('options');
  if (fromUrl === null) return { connectionString: url, options: own };
  parsed.searchParams.delete('options');
  return { connectionString: parsed.toString(), options: `${own} ${fromUrl}` };
}

export interface DialectHandle {
  dialect: Dialect;
  kind: DbKind;
  location: string;
  pool?: pg.Pool | undefined;
  listen: Listen;
  /** Closes what the dialect opened (for callers that never build a Kysely on it). */
  close(): Promise<void>;
}

/**
 * The Kysely dialect for DATABASE_URL (PostgreSQL through pg) or, when unset,
 * embedded PGlite. Other Kysely users (Better Auth) share the same choice.
 */
export function createDialect(options: DbOptions = {}): DialectHandle {
  if (options.databaseUrl) {
    const own = [
      // No JIT: it compiles any query whose estimate passes jit_above_cost, and a list
      // page's estimate does on a database without statistics (its dependency subplans,
      // costed for every row): 10 ms of compiling for a query that runs in 1 ms. The
      // API's queries are short; none wins the compile time back.
      '-c jit=off',
      // Timestamps arrive as '+00' text, which parseTimestamptz reads without pg's
      // regex; no query depends on the session's zone.
      '-c TimeZone=UTC',
      // The API announces its own commits to the change feed, coalesced (ChangeHub's
      // committed()); audit_log's trigger stays quiet for these connections (0012).
      ...(options.notifyFromTrigger ? [] : ['-c taskflow.announce_changes=off']),
    ].join(' ');
    const pool = new pg.Pool({
      ...withUrlOptions(options.databaseUrl, own),
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      types: pgTypes(),
    });
    // A connection that dies emits 'error' on its client. pg-pool listens only
    // while the client sits idle in the pool; a checked-out one (idle in a
    // transaction, or between acquire and query) has no listener, and Node turns
    // that into an uncaught exception that ends the process. So every client gets
    // its own listener for its whole life; the query in flight still rejects
    // (and becomes a 503), and the pool discards the broken client on release.
    pool.on('connect', (client) => {
      client.on('error', (error) => options.onPoolError?.(error));
    });
    // Idle clients' errors are re-emitted here too; already reported above.
    pool.on('error', () => {});
    nameStatements(pool);
    let closed = false;
    return {
      dialect: new PostgresDialect({ pool }),
      kind: 'postgres',
      location: describeUrl(options.databaseUrl),
      pool,
      listen: postgresListen(options.databaseUrl),
      close: async () => {
        // Kysely's destroy may have ended the pool already.
        if (closed || pool.ended) return;
        closed = true;
        await pool.end();
      },
    };
  }
  const dataDir = options.dataDir ?? DEFAULT_PGLITE_DIR;
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  // Two PGlite processes on one directory both acknowledge writes and one loses them.
  const unlock = inMemory ? () => {} : lockDataDir(dataDir);
  const pglite = new PGlite(dataDir, { extensions: { pg_trgm } });
  return {
    dialect: new PGliteDialect(pglite),
    kind: 'pglite',
    location: dataDir,
    listen: pgliteListen(pglite),
    close: async () => {
      try {
        if (!pglite.closed) await pglite.close();
      } finally {
        unlock();
      }
    },
  };
}

export function createDb(options: DbOptions = {}): Database {
  const handle = createDialect(options);
  const db = new Kysely<DB>({ dialect: handle.dialect });
  return {
    db,
    kind: handle.kind,
    location: handle.location,
    pool: handle.pool,
    listen: handle.listen,
    close: async () => {
      await db.destroy();
      // Releases what Kysely does not know of: PGlite's data directory lock.
      await handle.close();
    },
  };
}
