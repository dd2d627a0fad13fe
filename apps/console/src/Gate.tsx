import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { RELEASE_MODES, ReleaseGateSchema, ReleasePolicySchema, type Me, type ReleaseGate, type ReleasePolicy } from '@wharf/core';
import { useServerEvents } from './live.js';
import { Feedback, useFeedback } from './feedback.js';
import { api } from './api.js';

const orNull = (v: FormDataEntryValue | null) => (v === null || String(v).trim() === '' ? null : String(v).trim());

/** The version gate: which host app versions are told to update (soft), refused (hard, 426) or sent away for maintenance. */
export function Gate({ me }: { me: Me }) {
  const canWrite = me.permissions.includes('release.set');
  const [policy, setPolicy] = useState<ReleasePolicy | null>(null);
  const [check, setCheck] = useState<{ version: string; status: number; gate: ReleaseGate } | null>(null);
  const { error, notice, fail, run } = useFeedback();

  const load = useCallback(() => api(ReleasePolicySchema, 'GET', '/api/v1/release').then(setPolicy, fail), [fail]);
  useEffect(() => void load(), [load]);
  useServerEvents('release.changed', () => void load());

  const save = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const retry = orNull(f.get('retryAfterSeconds'));
    const body = {
      latest: orNull(f.get('latest')),
      minSupported: orNull(f.get('minSupported')),
      mode: f.get('mode'),
      message: orNull(f.get('message')),
      url: orNull(f.get('url')),
      retryAfterSeconds: retry === null ? null : Number(retry),
    };
    const stored = await run(() => api(ReleasePolicySchema, 'PUT', '/api/v1/release', body), 'Saved: clients see it at their next check.');
    if (stored) setPolicy(stored);
  };

  const probe = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const version = String(new FormData(e.currentTarget).get('clientVersion')).trim();
    // What a host app of that version is told: the same public endpoint clients call.
    const res = await fetch('/meta/release', { headers: { 'x-client-version': version } });
    setCheck({ version, status: res.status, gate: ReleaseGateSchema.parse(await res.json()) });
  };

  if (!policy) return error ? <p role="alert" className="error">{error}</p> : <p className="loading">Loading the version gate…</p>;
  return (
    <section aria-labelledby="gate-title">
      <h1 id="gate-title">Version gate</h1>
      <Feedback error={error} notice={notice} />
      <form onSubmit={save} aria-label="Release policy" key={JSON.stringify(policy)}>
        <fieldset disabled={!canWrite}>
          <legend>Policy</legend>
          <div className="inline">
            <label>
              Latest version
              <input name="latest" defaultValue={policy.latest ?? ''} placeholder="2.4.0" />
            </label>
            <label>
              Minimum supported
              <input name="minSupported" defaultValue={policy.minSupported ?? ''} placeholder="2.0.0" />
            </label>
            <label>
              Mode
              <select name="mode" aria-label="Mode" defaultValue={policy.mode}>
                {RELEASE_MODES.map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
            </label>
            <label>
              Retry after (s, maintenance)
              <input name="retryAfterSeconds" type="number" min={1} max={86400} defaultValue={policy.retryAfterSeconds ?? ''} />
            </label>
          </div>
          <label>
            Message to users
            <input name="message" defaultValue={policy.message ?? ''} size={60} />
          </label>
          <label>
            Update URL
            <input name="url" type="url" defaultValue={policy.url ?? ''} size={60} />
          </label>
          {canWrite && <button type="submit">Save policy</button>}
        </fieldset>
      </form>
      <fieldset>
        <legend>What a host app is told</legend>
        <form className="inline" onSubmit={probe}>
          <label>
            Client version
            <input name="clientVersion" required placeholder="1.9.0" />
          </label>
          <button type="submit">Check</button>
        </form>
        {check && (
          <p role="status" data-testid="gate-check">
            {check.version}: HTTP {check.status}
            {check.gate.requiresUpdate ? ', update required' : check.gate.updateAvailable ? ', update available' : ', up to date'} ({check.gate.mode})
          </p>
        )}
      </fieldset>
    </section>
  );
}
