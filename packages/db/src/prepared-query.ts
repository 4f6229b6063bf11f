import {
  type Compilable,
  type CompiledQuery,
  createQueryId,
  type Kysely,
  type RawBuilder,
} from 'kysely';
import type { DB } from './schema';

/** Stands for one argument while a query is compiled. */
class Slot {
  constructor(readonly index: number) {}
}

/** Where each parameter of the compiled text comes from: an argument, or a constant of the query. */
type Source = { arg: number } | { value: unknown };

interface Template {
  query: CompiledQuery;
  sources: Source[];
  arity: number;
}

type Buildable<Row> = Compilable<Row> | RawBuilder<Row>;

/** A query builder compiles on the database it was built from; raw SQL on the one given. */
function compileOn<Row>(db: Kysely<DB>, query: Buildable<Row>): CompiledQuery<Row> {
  return 'isRawBuilder' in query ? query.compile(db) : query.compile();
}

/**
 * A query whose shape is the same on every call, built and compiled by Kysely
 * once per database and then run with each call's values. Kysely builds and
 * compiles a query's whole tree on every execution: for a task read (the task,
 * its project's slug, its dependency ids, the visibility check) that was 10% of
 * a GET's CPU, more than PostgreSQL's own work on the prepared statement.
 *
 * `build` is called once, with stand-ins for its arguments: it may use them only
 * as values (`where('id', '=', id)`, `set({ title })`, sql`${id}`), never branch on
 * them or pass them to `sql.lit`/`in` lists. Each must end up as a parameter; one
 * that does not is refused when the query is first run. A database with Kysely
 * plugins (which may rewrite each query) gets the query built for every call.
 */
export function preparedQuery<Args extends unknown[], Row>(
  build: (db: Kysely<DB>, ...args: Args) => Buildable<Row>,
): (db: Kysely<DB>, ...args: Args) => Promise<Row[]> {
  // Per adapter: a transaction shares its database's, and the compiled text is the dialect's.
  const templates = new WeakMap<object, Template>();
  const compile = (db: Kysely<DB>, arity: number): Template => {
    const slots = Array.from({ length: arity }, (_, i) => new Slot(i));
    const query = compileOn(db, build(db, ...(slots as unknown as Args)));
    const sources = query.parameters.map(
      (value): Source => (value instanceof Slot ? { arg: value.index } : { value }),
    );
    const unused = slots.filter((slot) => !query.parameters.includes(slot));
    if (unused.length > 0) {
      throw new Error(
        `preparedQuery: every argument must be a parameter (unused: ${unused.map((s) => s.index + 1).join(', ')}) of ${query.sql}`,
      );
    }
    return { query, sources, arity };
  };
  return async (db, ...args) => {
    const executor = db.getExecutor();
    if (executor.plugins.length > 0)
      return (await db.executeQuery(compileOn(db, build(db, ...args)))).rows;
    const adapter = executor.adapter;
    let template = templates.get(adapter);
    if (!template) {
      template = compile(db, args.length);
      templates.set(adapter, template);
    }
    if (args.length !== template.arity) {
      throw new Error(
        `preparedQuery: called with ${args.length} arguments, compiled with ${template.arity}`,
      );
    }
    const { query, sources } = template;
    const parameters = sources.map((source) => ('arg' in source ? args[source.arg] : source.value));
    const result = await db.executeQuery<Row>({
      query: query.query,
      queryId: createQueryId(),
      sql: query.sql,
      parameters,
    });
    return result.rows;
  };
}
