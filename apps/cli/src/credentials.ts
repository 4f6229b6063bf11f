import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from './exit-codes';

export interface StoredCredentials {
  url: string;
  auth_url: string;
  /** A person's Better Auth session cookie, traded for API tokens. */
  session_cookie?: string;
  /** An agent's API key. */
  api_key?: string;
  name?: string;
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'taskflow', 'credentials.json');
}

export function readCredentials(
  env: NodeJS.ProcessEnv = process.env,
): StoredCredentials | undefined {
  const file = credentialsPath(env);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StoredCredentials;
  } catch {
    throw new CliError(`${file} is not valid JSON: run \`taskflow login\` again`, EXIT.notLoggedIn);
  }
}

/** Written readable by the owner only: it holds a session or an API key. */
export function writeCredentials(
  credentials: StoredCredentials,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const file = credentialsPath(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function deleteCredentials(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = credentialsPath(env);
  if (!existsSync(file)) return false;
  rmSync(file);
  return true;
}
