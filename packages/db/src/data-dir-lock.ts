import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** A PGlite data directory that another live process (or this one) already serves. */
export class DataDirLockedError extends Error {
  /** EX_TEMPFAIL: free once the other process stops. */
  readonly exitCode = 75;
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The PGlite data directory ${dataDir} is in use by process ${pid}${pid === process.pid ? ' (this one)' : ''}. ` +
        'PGlite serves one process per directory: stop that process, choose another directory, ' +
        'or set DATABASE_URL to run several processes on PostgreSQL.',
    );
    this.name = 'DataDirLockedError';
  }
}

export const LOCK_FILE = 'taskflow.lock';

// The pid alone cannot tell this process's own locks from a stale file left by
// an earlier process that had the same pid (pid 1 in a container), so the
// directories held here are remembered too.
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(lockPath: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the data directory for this process, or throws DataDirLockedError.
 * The lock file holds the owner's pid; a lock whose owner is gone is stale and
 * taken over. Released by the returned function and, at the latest, on exit.
 */
export function lockDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  const lockPath = join(dir, LOCK_FILE);
  if (heldHere.has(dir)) throw new DataDirLockedError(dataDir, process.pid);
  // Written whole first, then linked into place: link fails if the lock exists,
  // and a reader never sees a half-written pid.
  const draft = join(dir, `${LOCK_FILE}.${process.pid}`);
  writeFileSync(draft, `${process.pid}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(draft, lockPath);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
      }
      const owner = ownerOf(lockPath);
      if (owner !== undefined && owner !== process.pid && isAlive(owner))
        throw new DataDirLockedError(dataDir, owner);
      // Stale: its process is gone (or it is unreadable, e.g. a crash mid-write).
      unlinkSync(lockPath);
    }
  } finally {
    unlinkSync(draft);
  }
  heldHere.add(dir);
  const release = () => {
    if (!heldHere.delete(dir)) return;
    process.off('exit', release);
    try {
      if (ownerOf(lockPath) === process.pid) unlinkSync(lockPath);
    } catch {
      // Already gone: nothing to release.
    }
  };
  process.on('exit', release);
  return release;
}
