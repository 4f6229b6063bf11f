import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '../lua/scenario.lua');

/** One scenario's figures, however they were measured. */
export interface ScenarioResult {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  /** Answers outside 200..299. */
  non2xx: number;
  /** Connect, read, write and timeout errors. */
  socketErrors: number;
  requests: number;
  /** What else the scenario checked or measured (claims, winners). */
  note?: string;
  /** A check that failed (a double claim): the run fails. */
  failure?: string;
}

export interface WrkSettings {
  baseUrl: string;
  duration: number;
  connections: number;
  threads: number;
  workDir: string;
}

export interface WrkScenario {
  name: string;
  token: string;
  /** Request paths (with query), drawn at random per request. */
  paths: string[];
  method?: 'GET' | 'POST' | 'PATCH';
  body?: string;
}

export async function runWrk(
  settings: WrkSettings,
  scenario: WrkScenario,
): Promise<ScenarioResult> {
  const pathsFile = join(settings.workDir, `${scenario.name}.paths`);
  writeFileSync(pathsFile, `${scenario.paths.join('\n')}\n`);
  const args = [
    `-t${settings.threads}`,
    `-c${settings.connections}`,
    `-d${settings.duration}s`,
    '--timeout',
    '10s',
    '-s',
    SCRIPT,
    settings.baseUrl,
  ];
  const { stdout } = await run('wrk', args, {
    env: {
      PATH: process.env.PATH ?? '',
      PATHS_FILE: pathsFile,
      TOKEN: scenario.token,
      METHOD: scenario.method ?? 'GET',
      BODY: scenario.body ?? '',
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  return { name: scenario.name, ...parseWrkResult(stdout) };
}

/** The RESULT line scenario.lua prints. */
export function parseWrkResult(output: string): Omit<ScenarioResult, 'name'> {
  const line = output.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`wrk printed no RESULT line:\n${output}`);
  const [rps, p50, p99, non2xx, socketErrors, requests] = line.split(/\s+/).slice(1).map(Number);
  return {
    rps: rps ?? 0,
    p50: p50 ?? 0,
    p99: p99 ?? 0,
    non2xx: non2xx ?? 0,
    socketErrors: socketErrors ?? 0,
    requests: requests ?? 0,
  };
}
