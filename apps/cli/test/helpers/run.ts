import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

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
