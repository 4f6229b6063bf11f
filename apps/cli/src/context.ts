import { createTaskflowClient, sessionToken, type TaskflowClient } from '@taskflow/client';
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
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export function createClientFromEnvironment(
  env: NodeJS.ProcessEnv,
  urlFlag: string | undefined,
): TaskflowClient {
  const stored = readCredentials(env);
  const url = urlFlag ?? env.TASKFLOW_URL ?? stored?.url ?? DEFAULT_URL;
  const authUrl = env.TASKFLOW_AUTH_URL ?? stored?.auth_url ?? DEFAULT_AUTH_URL;
  const clientName = 'cli';
  if (env.TASKFLOW_TOKEN)
    return createTaskflowClient({ url, token: env.TASKFLOW_TOKEN, clientName });
  if (env.TASKFLOW_API_KEY)
    return createTaskflowClient({ url, apiKey: env.TASKFLOW_API_KEY, authUrl, clientName });
  if (stored?.api_key)
    return createTaskflowClient({ url, apiKey: stored.api_key, authUrl, clientName });
  if (stored?.session_cookie) {
    return createTaskflowClient({
      url,
      token: sessionToken(authUrl, stored.session_cookie),
      clientName,
    });
  }
  throw new CliError(
    'Not logged in: run `taskflow login` (or set TASKFLOW_TOKEN or TASKFLOW_API_KEY)',
    EXIT.notLoggedIn,
  );
}
