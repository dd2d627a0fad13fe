import { useState, type FormEvent } from 'react';
import { SetupResultSchema } from '@wharf/core';
import { Feedback } from './feedback.js';
import { api, describeError } from './api.js';

/** First run: the link `wharf serve` prints carries a one-time token; the first admin account is made here. */
export function Setup({ onDone }: { onDone: (token: string) => Promise<void> }) {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const [error, setError] = useState<string | null>(token ? null : 'This link has no setup token: use the one wharf serve printed.');

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setError(null);
    try {
      const created = await api(SetupResultSchema, 'POST', '/api/v1/setup', { token, name: form.get('name'), password: form.get('password') }, null);
      await onDone(created.token);
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <main className="card">
      <h1>Create the admin account</h1>
      <p>This registry has no administrator yet. The account you create here has every right; the link works once.</p>
      <form onSubmit={submit}>
        <label>
          Name
          <input name="name" autoComplete="username" required />
        </label>
        <label>
          Password (at least 8 characters)
          <input name="password" type="password" autoComplete="new-password" minLength={8} required />
        </label>
        <Feedback error={error} />
        <button type="submit" disabled={!token}>
          Create admin
        </button>
      </form>
    </main>
  );
}
