import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Stack, startStack } from '@taskflow/auth/testing';
import { afterAll, beforeAll, expect } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/taskflow.mjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `taskflow` as a real process with the environment `env()` gives at call time. */
export function cliRunner(env: () => NodeJS.ProcessEnv) {
  const taskflow = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env: { ...env(), ...extra } },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  /** Runs with --json, expects exit 0 and parses what it printed. */
  const json = async <T>(args: string[], extra?: NodeJS.ProcessEnv): Promise<T> => {
    const r = await taskflow([...args, '--json'], extra);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  return { taskflow, json };
}

/**
 * A real stack (API, identity service, PostgreSQL) for one test file, and the
 * CLI as a process with a HOME of its own pointed at it.
 */
export function cliAgainstStack(homePrefix: string, stackArgs: Parameters<typeof startStack> = []) {
  const state: { stack?: Stack; home?: string } = {};
  const env = (): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH ?? '',
    HOME: state.home,
    TASKFLOW_URL: state.stack?.apiUrl,
    TASKFLOW_AUTH_URL: state.stack?.authUrl,
  });
  beforeAll(async () => {
    state.stack = await startStack(...stackArgs);
    state.home = mkdtempSync(join(tmpdir(), homePrefix));
  });
  afterAll(async () => {
    await state.stack?.stop();
    if (state.home) rmSync(state.home, { recursive: true, force: true });
  });
  return {
    ...cliRunner(env),
    stack: () => state.stack as Stack,
    home: () => state.home as string,
  };
}
