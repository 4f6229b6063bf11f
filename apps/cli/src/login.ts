import { createInterface } from 'node:readline';
import { apiKeyToken, createTaskflowClient, sessionToken } from '@taskflow/client';
import { type CommandContext, DEFAULT_AUTH_URL, DEFAULT_URL } from './context';
import {
  credentialsPath,
  deleteCredentials,
  readCredentials,
  type StoredCredentials,
  writeCredentials,
} from './credentials';
import { CliError, EXIT } from './exit-codes';

async function readPassword(ctx: CommandContext): Promise<string> {
  if (ctx.env.TASKFLOW_PASSWORD) return ctx.env.TASKFLOW_PASSWORD;
  const rl = createInterface({
    input: ctx.stdin,
    output: process.stderr,
    terminal: Boolean(ctx.stdin.isTTY),
  });
  if (ctx.stdin.isTTY) {
    process.stderr.write('Password: ');
    // Keep the password off the screen: readline echoes through this hook.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
  }
  const line = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  if (ctx.stdin.isTTY) process.stderr.write('\n');
  return line;
}

/**
 * Better Auth's session cookie, under whichever name it arrives: over https
 * Better Auth prefixes it with `__Secure-`, and the server then reads only that name.
 */
const SESSION_COOKIE = /^(?:__Secure-|__Host-)?better-auth\.session_token=/;

async function signIn(authUrl: string, email: string, password: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${authUrl}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: new URL(authUrl).origin },
      body: JSON.stringify({ email, password }),
    });
  } catch (error) {
    throw new CliError(
      `Cannot reach the identity service at ${authUrl}: ${(error as Error).message}`,
      EXIT.unavailable,
    );
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    throw new CliError(`Sign-in refused: ${body.message ?? res.statusText}`, EXIT.notLoggedIn);
  }
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => SESSION_COOKIE.test(c));
  if (!cookie) throw new CliError('Sign-in returned no session', EXIT.notLoggedIn);
  return cookie;
}

export interface LoginFlags {
  email?: string | undefined;
  password?: string | undefined;
  'api-key'?: string | undefined;
  'auth-url'?: string | undefined;
}

/** Signs in (email + password, or an agent's API key) and stores the credentials, readable by you only. */
export async function login(ctx: CommandContext, flags: LoginFlags) {
  const url = (ctx.url ?? ctx.env.TASKFLOW_URL ?? DEFAULT_URL).replace(/\/$/, '');
  const authUrl = (flags['auth-url'] ?? ctx.env.TASKFLOW_AUTH_URL ?? DEFAULT_AUTH_URL).replace(
    /\/$/,
    '',
  );
  let credentials: StoredCredentials;
  let token: () => Promise<string>;
  if (flags['api-key']) {
    credentials = { url, auth_url: authUrl, api_key: flags['api-key'] };
    token = apiKeyToken(authUrl, flags['api-key']);
  } else if (flags.email) {
    const password = flags.password ?? (await readPassword(ctx));
    if (!password)
      throw new CliError(
        'A password is required (--password, TASKFLOW_PASSWORD or stdin)',
        EXIT.usage,
      );
    const cookie = await signIn(authUrl, flags.email, password);
    credentials = { url, auth_url: authUrl, session_cookie: cookie };
    token = sessionToken(authUrl, cookie);
  } else {
    throw new CliError(
      'Use `taskflow login --email EMAIL` or `taskflow login --api-key KEY`',
      EXIT.usage,
    );
  }
  const me = await createTaskflowClient({ url, token, clientName: 'cli' }).workers.me.query();
  const file = writeCredentials({ ...credentials, name: me.name });
  ctx.err(
    `Logged in to ${url} as ${me.name} (${me.type}${me.role === 'admin' ? ', admin' : ''}). Credentials saved to ${file}.`,
  );
  return me;
}

export async function logout(ctx: CommandContext) {
  const stored = readCredentials(ctx.env);
  if (stored?.session_cookie) {
    await fetch(`${stored.auth_url}/api/auth/sign-out`, {
      method: 'POST',
      headers: {
        cookie: stored.session_cookie,
        'content-type': 'application/json',
        origin: new URL(stored.auth_url).origin,
      },
      body: '{}',
    }).catch(() => undefined);
  }
  const removed = deleteCredentials(ctx.env);
  ctx.err(removed ? `Logged out (removed ${credentialsPath(ctx.env)}).` : 'Not logged in.');
  return { logged_out: removed };
}
