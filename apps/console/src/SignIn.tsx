import { useState, type FormEvent } from 'react';
import { SessionSchema } from '@wharf/core';
import { Feedback } from './feedback.js';
import { api, describeError } from './api.js';

/** Sign in with a password (a 12-hour session token) or with a token made elsewhere (npm login, wharf token create). */
export function SignIn({ onDone }: { onDone: (token: string) => Promise<void> }) {
  const [useToken, setUseToken] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      if (useToken) await onDone(String(form.get('token')).trim());
      else {
        const created = await api(SessionSchema, 'POST', '/api/v1/sessions', { name: form.get('name'), password: form.get('password') }, null);
        await onDone(created.token);
      }
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="card">
      <h1>Sign in to Wharf</h1>
      <form onSubmit={submit}>
        {useToken ? (
          <label>
            Token
            <input name="token" type="password" autoComplete="off" required />
          </label>
        ) : (
          <>
            <label>
              Name
              <input name="name" autoComplete="username" required />
            </label>
            <label>
              Password
              <input name="password" type="password" autoComplete="current-password" required />
            </label>
          </>
        )}
        <Feedback error={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <button type="button" className="link" onClick={() => setUseToken(!useToken)}>
        {useToken ? 'Sign in with a password instead' : 'Sign in with a token instead'}
      </button>
    </main>
  );
}
