import { type FormEvent, useState } from 'react';
import { AuthError, type SessionUser, signIn, signUp } from '../lib/auth-client';

export function SignIn({
  notice,
  onSignedIn,
}: {
  notice: string | null;
  onSignedIn: (user: SessionUser) => void;
}) {
  const [mode, setMode] = useState<'sign-in' | 'sign-up'>('sign-in');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');
    const name = String(form.get('name') ?? '').trim();
    if (mode === 'sign-up' && !name) return setError('Your name is required');
    if (password.length < 8) return setError('The password needs at least 8 characters');
    setBusy(true);
    setError(null);
    try {
      onSignedIn(
        mode === 'sign-up'
          ? await signUp({ name, email, password })
          : await signIn({ email, password }),
      );
    } catch (e) {
      setError(e instanceof AuthError ? e.message : 'Cannot reach TaskFlow. Try again.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="auth-page">
      <form className="auth-card" onSubmit={submit} noValidate aria-labelledby="auth-title">
        <h1 id="auth-title">
          {mode === 'sign-in' ? 'Sign in to TaskFlow' : 'Create your TaskFlow account'}
        </h1>
        {notice && (
          <p className="notice" role="alert">
            {notice}
          </p>
        )}
        {mode === 'sign-up' && (
          <label>
            Name
            <input name="name" autoComplete="name" required />
          </label>
        )}
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === 'sign-in' ? 'current-password' : 'new-password'}
            minLength={8}
            required
          />
        </label>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Please wait…' : mode === 'sign-in' ? 'Sign in' : 'Create account'}
        </button>
        <button
          type="button"
          className="link"
          onClick={() => {
            setMode(mode === 'sign-in' ? 'sign-up' : 'sign-in');
            setError(null);
          }}
        >
          {mode === 'sign-in' ? 'New here? Create an account' : 'Have an account? Sign in'}
        </button>
      </form>
    </main>
  );
}
