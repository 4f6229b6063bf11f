import { TokenCache } from '@taskflow/client';

export interface SessionUser {
  id: string;
  name: string;
  email: string;
  role?: string;
}

export class AuthError extends Error {}

async function authFetch(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`/api/auth${path}`, {
    ...init,
    credentials: 'include',
    headers: { 'content-type': 'application/json', ...init.headers },
  });
}

async function failureMessage(res: Response, fallback: string): Promise<string> {
  try {
    const body = (await res.json()) as { message?: string };
    return body.message ?? fallback;
  } catch {
    return fallback;
  }
}

export async function getSession(): Promise<SessionUser | null> {
  const res = await authFetch('/get-session', { method: 'GET' });
  if (!res.ok) return null;
  const body = (await res.json()) as { user?: SessionUser } | null;
  return body?.user ?? null;
}

export async function signUp(input: {
  name: string;
  email: string;
  password: string;
}): Promise<SessionUser> {
  const res = await authFetch('/sign-up/email', { method: 'POST', body: JSON.stringify(input) });
  if (!res.ok) throw new AuthError(await failureMessage(res, 'Could not create the account'));
  return ((await res.json()) as { user: SessionUser }).user;
}

export async function signIn(input: { email: string; password: string }): Promise<SessionUser> {
  const res = await authFetch('/sign-in/email', { method: 'POST', body: JSON.stringify(input) });
  if (!res.ok) throw new AuthError(await failureMessage(res, 'Wrong email or password'));
  return ((await res.json()) as { user: SessionUser }).user;
}

export async function signOut(): Promise<void> {
  await authFetch('/sign-out', { method: 'POST', body: '{}' });
  tokens.invalidate();
}

export class NoSession extends Error {}

/** The API token comes from the session: GET /api/auth/token with the session cookie. */
export const tokens = new TokenCache(async () => {
  const res = await authFetch('/token', { method: 'GET' });
  const token = res.ok ? ((await res.json()) as { token?: string }).token : undefined;
  if (!token) throw new NoSession('no session');
  return token;
});
