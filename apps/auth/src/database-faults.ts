import { AsyncLocalStorage } from 'node:async_hooks';
import { isDatabaseUnavailable } from '@taskflow/db';
import type { DatabaseConnection, Dialect } from 'kysely';

export interface DatabaseFaults {
  /** The database was unreachable (connection lost or refused) at some point. */
  unavailable: boolean;
}

const current = new AsyncLocalStorage<DatabaseFaults>();

/**
 * Runs `run` (one request), recording whether the database was unreachable
 * anywhere inside it. Better Auth turns such failures into 500, 401 or 422;
 * the server answers 503 instead, which is what they are.
 */
export function recordDatabaseFaults<T>(run: () => T): { result: T; faults: DatabaseFaults } {
  const faults: DatabaseFaults = { unavailable: false };
  return { result: current.run(faults, run), faults };
}

function noted(error: unknown): never {
  const faults = current.getStore();
  if (faults && isDatabaseUnavailable(error)) faults.unavailable = true;
  throw error;
}

/**
 * `target` with `method` noting the failures it rejects with; every other
 * member is passed through, bound to the target (drivers use private fields).
 */
function observing<T extends object>(
  target: T,
  method: keyof T,
  wrapResult: (value: unknown) => unknown = (value) => value,
): T {
  return new Proxy(target, {
    get(object, key) {
      const value: unknown = Reflect.get(object, key, object);
      if (typeof value !== 'function') return value;
      if (key !== method) return value.bind(object);
      return async (...args: unknown[]) =>
        wrapResult(await (value.apply(object, args) as Promise<unknown>).catch(noted));
    },
  });
}

/** The dialect, with every failed connect and query reported to the request it served. */
export function observeDatabaseFaults(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createDriver: () => {
      const driver = dialect.createDriver();
      // Drivers may check that what comes back is what they handed out (PGlite's does).
      const originals = new WeakMap<DatabaseConnection, DatabaseConnection>();
      const observed = observing(driver, 'acquireConnection', (connection) => {
        const wrapped = observing(connection as DatabaseConnection, 'executeQuery');
        originals.set(wrapped, connection as DatabaseConnection);
        return wrapped;
      });
      return new Proxy(observed, {
        get(object, key) {
          if (key !== 'releaseConnection') return Reflect.get(object, key);
          return (connection: DatabaseConnection) =>
            driver.releaseConnection(originals.get(connection) ?? connection);
        },
      });
    },
  };
}
