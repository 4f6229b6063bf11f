import {
  apiKeyToken,
  createTaskflowClient,
  sessionToken,
  staticToken,
  type TaskflowClient,
  type TokenSource,
} from '@taskflow/client';
import { type AuthApi, createAuthApi } from './auth-api';
import { readCredentials } from './credentials';
import { CliError, EXIT } from './exit-codes';

export const DEFAULT_URL = 'http://localhost:8000';
export const DEFAULT_AUTH_URL = 'http://localhost:3001';

export interface CommandContext {
  env: NodeJS.ProcessEnv;
  /** --url, when given. */
  url: string | undefined;
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  /** The API client, built from TASKFLOW_TOKEN / TASKFLOW_API_KEY or the stored login. */
  client(): TaskflowClient;
  /** The identity service's own endpoints (agents and their keys), with the same credentials. */
  auth(): AuthApi;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** Where tokens come from: TASKFLOW_TOKEN, TASKFLOW_API_KEY, or the stored login. */
export function credentialsFromEnvironment(
  env: NodeJS.ProcessEnv,
  urlFlag: string | undefined,
): { url: string; authUrl: string; token: TokenSource } {
  const stored = readCredentials(env);
  const url = urlFlag ?? env.TASKFLOW_URL ?? stored?.url ?? DEFAULT_URL;
  const authUrl = env.TASKFLOW_AUTH_URL ?? stored?.auth_url ?? DEFAULT_AUTH_URL;
  const apiKey = env.TASKFLOW_API_KEY ?? stored?.api_key;
  if (env.TASKFLOW_TOKEN) return { url, authUrl, token: staticToken(env.TASKFLOW_TOKEN) };
  if (apiKey) return { url, authUrl, token: apiKeyToken(authUrl, apiKey) };
  if (stored?.session_cookie)
    return { url, authUrl, token: sessionToken(authUrl, stored.session_cookie) };
  throw new CliError(
    'Not logged in: run `taskflow login` (or set TASKFLOW_TOKEN or TASKFLOW_API_KEY)',
    EXIT.notLoggedIn,
  );
}

export function createClientFromEnvironment(
  env: NodeJS.ProcessEnv,
  urlFlag: string | undefined,
): TaskflowClient {
  const { url, token } = credentialsFromEnvironment(env, urlFlag);
  return createTaskflowClient({ url, token, clientName: 'cli' });
}

export function createAuthApiFromEnvironment(env: NodeJS.ProcessEnv): AuthApi {
  const { authUrl, token } = credentialsFromEnvironment(env, undefined);
  return createAuthApi(authUrl, token);
}
