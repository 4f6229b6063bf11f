import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Board } from './components/board';
import { SignIn } from './components/sign-in';
import { ToastProvider } from './components/toasts';
import { getSession, type SessionUser, signOut, tokens } from './lib/auth-client';
import { createClient, SessionExpired, TRPCProvider } from './lib/trpc';

/** Retry only what may succeed next time: network trouble and 5xx, never a 4xx. */
function shouldRetry(failures: number, error: unknown): boolean {
  if (error instanceof SessionExpired) return false;
  if (error instanceof TRPCClientError) {
    const status = (error.data as { httpStatus?: number } | undefined)?.httpStatus ?? 0;
    if (status >= 400 && status < 500) return false;
  }
  return failures < 2;
}

export function App() {
  const [user, setUser] = useState<SessionUser | null | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: { retry: shouldRetry, staleTime: 5_000 },
          mutations: { retry: false },
        },
      }),
  );
  const expire = useRef<() => void>(() => undefined);
  const [trpcClient] = useState(() => createClient(() => expire.current()));

  expire.current = useCallback(() => {
    tokens.invalidate();
    queryClient.clear();
    setUser(null);
    setNotice('Your session has expired. Please sign in again.');
  }, [queryClient]);

  useEffect(() => {
    getSession().then(setUser, () => setUser(null));
  }, []);

  if (user === undefined) return <p className="center muted">Loading…</p>;
  return (
    <ToastProvider>
      {user ? (
        <QueryClientProvider client={queryClient}>
          <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
            <Board
              user={user}
              onSignOut={() => {
                void signOut().finally(() => {
                  queryClient.clear();
                  setNotice(null);
                  setUser(null);
                });
              }}
            />
          </TRPCProvider>
        </QueryClientProvider>
      ) : (
        <SignIn
          notice={notice}
          onSignedIn={(u) => {
            tokens.invalidate();
            setNotice(null);
            setUser(u);
          }}
        />
      )}
    </ToastProvider>
  );
}
