import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/create-db';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../src/data-dir-lock';

const HOLDER = resolve(import.meta.dirname, 'fixtures/hold-data-dir.ts');
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'taskflow-lock-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Another process on the directory: resolves once it holds it (or refused it). */
function holder(dataDir: string): Promise<{ child: ChildProcess; said: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolvePromise({ child, said: out.trim() });
    });
    child.once('exit', (code) => reject(new Error(`holder exited ${code}: ${out}`)));
  });
}

async function killed(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

describe('the PGlite data directory lock', () => {
  it('refuses a second process on the directory, naming it and the holder', async () => {
    const dir = tempDir();
    const release = lockDataDir(dir);
    try {
      const { child, said } = await holder(dir);
      expect(said).toBe(
        `refused: The PGlite data directory ${dir} is in use by process ${process.pid}. PGlite serves one process per directory: stop that process, choose another directory, or set DATABASE_URL to run several processes on PostgreSQL.`,
      );
      expect(await new Promise((r) => child.once('exit', r))).toBe(75);
    } finally {
      release();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses a second open in the same process, and allows it once the first is closed', async () => {
    const dir = tempDir();
    const first = createDb({ dataDir: dir });
    await sql`select 1`.execute(first.db);
    expect(() => createDb({ dataDir: dir })).toThrow(DataDirLockedError);
    await first.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lockDataDir(dir)();
  });

  it('refuses while another live process holds it, and takes over once that process is gone', async () => {
    const dir = tempDir();
    const { child, said } = await holder(dir);
    expect(said).toBe('holding');
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(child.pid));
    let refusal: unknown;
    try {
      lockDataDir(dir);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataDirLockedError);
    expect((refusal as DataDirLockedError).pid).toBe(child.pid);

    // kill -9: no exit handler ran, the lock file stays behind, stale.
    await killed(child);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    const release = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    release();
  }, 60_000);

  it('takes over a lock left by an earlier process that had this pid', async () => {
    const dir = tempDir();
    // A container restarts with the same pid: the file names us, but we hold nothing.
    writeFileSync(join(dir, LOCK_FILE), `${process.pid}\n`);
    lockDataDir(dir)();
  });
});
