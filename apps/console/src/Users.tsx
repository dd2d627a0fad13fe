import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ROLE_NAMES, TokenInfoSchema, TokenListSchema, UserListSchema, UserRoleSchema, type Me, type TokenInfo, type UserList } from '@wharf/core';
import { TableHead } from './table.js';
import { Feedback, useFeedback } from './feedback.js';
import { api, describeError } from './api.js';

/** Accounts and their roles (admins): who may do what is docs/roles.md's table. */
export function Users() {
  const [list, setList] = useState<UserList | null>(null);
  const { error, notice, fail, run } = useFeedback();
  const load = useCallback(() => api(UserListSchema, 'GET', '/api/v1/users').then(setList, fail), [fail]);
  useEffect(() => void load(), [load]);

  const setRole = (name: string, role: string) => run(() => api(UserRoleSchema, 'PUT', `/api/v1/users/${encodeURIComponent(name)}/role`, { role }), (r) => `${r.name} is now ${r.role}.`, load);

  if (!list) return error ? <p role="alert" className="error">{error}</p> : <p className="loading">Loading users…</p>;
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users and roles</h1>
      <Feedback error={error} notice={notice} />
      <table>
        <TableHead columns={['User', 'Since', 'Role']} />
        <tbody>
          {list.users.map((u) => (
            <tr key={u.name} data-testid="user-row" data-user={u.name}>
              <td>{u.name}</td>
              <td>{u.createdAt.slice(0, 10)}</td>
              <td>
                <form
                  className="inline"
                  onSubmit={(e) => {
                    e.preventDefault();
                    void setRole(u.name, String(new FormData(e.currentTarget).get('role')));
                  }}
                >
                  <select name="role" aria-label={`Role of ${u.name}`} defaultValue={u.role}>
                    {ROLE_NAMES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                  <button type="submit">Set</button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The caller's own tokens: for CI and services, optionally scoped to a lesser role or read-only; the secret is shown once. */
export function Tokens({ me }: { me: Me }) {
  const [tokens, setTokens] = useState<TokenInfo[] | null>(null);
  const [created, setCreated] = useState<TokenInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => api(TokenListSchema, 'GET', '/-/npm/v1/tokens').then((l) => setTokens(l.objects), (err) => setError(describeError(err))), []);
  useEffect(() => void load(), [load]);

  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    setError(null);
    setCreated(null);
    try {
      const role = String(f.get('role'));
      const expires = String(f.get('expires')).trim();
      setCreated(
        await api(TokenInfoSchema, 'POST', '/-/npm/v1/tokens', {
          password: f.get('password'),
          name: String(f.get('name')).trim() || null,
          readonly: f.get('readonly') === 'on',
          role: role === 'as my role' ? null : role,
          expires: expires === '' ? null : Number(expires),
        }),
      );
      // The password is not left in the page.
      form.reset();
      await load();
    } catch (err) {
      setError(describeError(err));
    }
  };
  const revoke = async (key: string) => {
    setError(null);
    try {
      await api(null, 'DELETE', `/-/npm/v1/tokens/token/${encodeURIComponent(key)}`);
      await load();
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <section aria-labelledby="tokens-title">
      <h1 id="tokens-title">Your tokens</h1>
      <Feedback error={error} />
      {created && (
        <p role="status" className="notice" data-testid="new-token">
          New token (shown once, store it now): <code>{created.token}</code>
        </p>
      )}
      {!me.readonly && (
        <form onSubmit={create} aria-label="Create a token">
          <fieldset>
            <legend>Create a token</legend>
            <div className="inline">
              <label>
                Name
                <input name="name" placeholder="ci" />
              </label>
              <label>
                Acts as
                <select name="role" aria-label="Acts as" defaultValue="as my role">
                  <option>as my role</option>
                  {ROLE_NAMES.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              </label>
              <label>
                Expires (days)
                <input name="expires" type="number" min={1} />
              </label>
              <label className="check">
                <input type="checkbox" name="readonly" /> Read-only
              </label>
              <label>
                Your password
                <input name="password" type="password" autoComplete="current-password" required />
              </label>
              <button type="submit">Create token</button>
            </div>
          </fieldset>
        </form>
      )}
      {tokens && (
        <table>
          <TableHead columns={['Name', 'Token', 'Created', 'Scope', '']} />
          <tbody>
            {tokens.map((t) => (
              <tr key={t.key} data-testid="token-row">
                <td>{t.name ?? '(no name)'}</td>
                <td>
                  <code>{t.token}…</code>
                </td>
                <td>{t.created.slice(0, 10)}</td>
                <td>{[t.role ?? 'acts as you', t.readonly ? 'read-only' : null, t.expires ? `expires ${t.expires.slice(0, 10)}` : null].filter(Boolean).join(', ')}</td>
                <td>
                  {!me.readonly && (
                    <button type="button" onClick={() => revoke(t.key)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
