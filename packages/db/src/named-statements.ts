import type pg from 'pg';

/** Most distinct statements a process names; any beyond run unnamed, as before. */
export const MAX_NAMED_STATEMENTS = 2_000;

/** Only these can be prepared (PostgreSQL's PREPARE takes no utility statements). */
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * A statement whose result columns changed under it (a migration altered its table while
 * this process held it prepared): PostgreSQL refuses it until it is prepared again.
 */
export function isStalePlan(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return (
    e?.code === '0A000' &&
    typeof e.message === 'string' &&
    e.message.includes('cached plan must not change result type')
  );
}

type Query = pg.PoolClient['query'];

/**
 * Makes a pool's connections prepare each statement the API repeats once, by name, and
 * reuse it: PostgreSQL then neither parses nor (after its first few runs) plans it again.
 * Kysely compiles the same SQL text for the same query shape, so the text names the
 * statement. A task read costs PostgreSQL about a tenth of its unnamed cost (pgbench on
 * that read: 4,200 runs a second unnamed, 35,000 prepared, on one 2-core machine).
 *
 * A stale plan (isStalePlan, after a migration by another process) fails its call once;
 * that connection then prepares everything afresh under new names.
 */
export function nameStatements(pool: pg.Pool): void {
  const names = new Map<string, number>();
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    // Bumped after a stale plan, so each statement is prepared again under a new name.
    let generation = 0;
    const named = (text: string) => {
      let n = names.get(text);
      if (n === undefined) {
        if (names.size >= MAX_NAMED_STATEMENTS || !PREPARABLE.test(text)) return undefined;
        n = names.size;
        names.set(text, n);
      }
      return `tf${generation}_${n}`;
    };
    client.query = ((...args: unknown[]) => {
      const [text, values, callback] = args;
      if (typeof text !== 'string' || !Array.isArray(values) || callback !== undefined) {
        return query(...args);
      }
      const name = named(text);
      if (!name) return query(...args);
      return (query({ name, text, values }) as Promise<unknown>).catch((error: unknown) => {
        if (isStalePlan(error)) generation++;
        throw error;
      });
    }) as Query;
  });
}
