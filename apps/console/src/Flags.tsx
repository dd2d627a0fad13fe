import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { FLAG_STATES, FlagAdminViewSchema, FlagPatchResultSchema, OfrepSuccessSchema, type FlagAdminView, type FlagStatus, type Me, type OfrepSuccess } from '@wharf/core';
import { useServerEvents } from './live.js';
import { TableHead } from './table.js';
import { Feedback, useFeedback } from './feedback.js';
import { api, describeError } from './api.js';

const describe = (s: FlagStatus | undefined) => (s === undefined ? '?' : s.state === 'ROLLOUT' ? `ROLLOUT ${s.percentage}%` : s.state);

/** Flags: each flag's state (ON, OFF, ROLLOUT %, FORCE_OFF), changes for those who may, and an evaluation playground. */
export function Flags({ me }: { me: Me }) {
  const canWrite = me.permissions.includes('flags.write');
  const [view, setView] = useState<FlagAdminView | null>(null);
  const { error, notice, fail, run } = useFeedback();

  const load = useCallback(() => api(FlagAdminViewSchema, 'GET', '/api/v1/flags').then(setView, fail), [fail]);
  useEffect(() => void load(), [load]);
  useServerEvents('flags.changed', () => void load());

  const patch = async (key: string, state: string, percentage: string) => {
    const body = state === 'ROLLOUT' ? { state, percentage: Number(percentage) } : { state };
    await run(() => api(FlagPatchResultSchema, 'PATCH', `/api/v1/flags/${encodeURIComponent(key)}`, body), (r) => `${key}: ${describe(r)} (version ${r.version})`, load);
  };

  if (!view) return error ? <p role="alert" className="error">{error}</p> : <p className="loading">Loading flags…</p>;
  return (
    <section aria-labelledby="flags-title">
      <h1 id="flags-title">Flags</h1>
      <p className="muted">
        Version {view.version}. Clients read them at <code>/api/client/features</code> (Unleash format) and through OFREP.
      </p>
      <Feedback error={error} notice={notice} />
      {view.features.length === 0 ? (
        <p>No flags yet.</p>
      ) : (
        <table>
          <TableHead columns={['Flag', 'State', canWrite ? 'Change' : null]} />
          <tbody>
            {view.features.map((f) => (
              <tr key={f.name} data-testid="flag-row" data-flag={f.name}>
                <td>
                  {f.name}
                  <details>
                    <summary>Definition</summary>
                    {/* Strategies, constraints, segments and variants as Unleash clients receive them. */}
                    <pre data-testid="flag-definition">{JSON.stringify({ enabled: f.enabled, strategies: f.strategies ?? [], variants: f.variants ?? [] }, null, 2)}</pre>
                  </details>
                </td>
                <td data-testid="flag-state">{describe(view.states[f.name])}</td>
                {canWrite && (
                  <td>
                    <StateForm label={f.name} initial={view.states[f.name]} onSubmit={(state, pct) => patch(f.name, state, pct)} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {/* Keyed by the set's version: a change clears the form and an evaluation made before it. */}
      {canWrite && <NewFlag key={`new-${view.version}`} onCreate={(key, state, pct) => patch(key, state, pct)} />}
      <Playground key={`play-${view.version}`} keys={view.features.map((f) => f.name)} />
    </section>
  );
}

function StateForm({ label, initial, onSubmit }: { label: string; initial: FlagStatus | undefined; onSubmit: (state: string, percentage: string) => void }) {
  const [state, setState] = useState<string>(initial?.state === 'CUSTOM' || !initial ? 'ON' : initial.state);
  const [percentage, setPercentage] = useState(String(initial?.percentage ?? 10));
  return (
    <form
      className="inline"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(state, percentage);
      }}
    >
      <select aria-label={`State of ${label}`} value={state} onChange={(e) => setState(e.target.value)}>
        {FLAG_STATES.map((s) => (
          <option key={s}>{s}</option>
        ))}
      </select>
      {state === 'ROLLOUT' && (
        <input aria-label={`Rollout percentage of ${label}`} type="number" min={0} max={100} value={percentage} onChange={(e) => setPercentage(e.target.value)} />
      )}
      <button type="submit">Apply</button>
    </form>
  );
}

function NewFlag({ onCreate }: { onCreate: (key: string, state: string, percentage: string) => Promise<void> }) {
  const [key, setKey] = useState('');
  return (
    <fieldset>
      <legend>New flag</legend>
      <label>
        Key
        <input value={key} onChange={(e) => setKey(e.target.value)} placeholder="new-editor" />
      </label>
      <StateForm label="the new flag" initial={undefined} onSubmit={(state, pct) => key && void onCreate(key, state, pct)} />
    </fieldset>
  );
}

/** Evaluates a flag for a context as a client would (OFREP), so a rollout can be checked before anyone meets it. */
function Playground({ keys }: { keys: string[] }) {
  const [result, setResult] = useState<OfrepSuccess | null>(null);
  const [error, setError] = useState<string | null>(null);
  const evaluate = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setError(null);
    setResult(null);
    try {
      const context: Record<string, string> = { targetingKey: String(form.get('targetingKey')) };
      const appName = String(form.get('appName'));
      if (appName) context.appName = appName;
      setResult(await api(OfrepSuccessSchema, 'POST', `/ofrep/v1/evaluate/flags/${encodeURIComponent(String(form.get('flag')))}`, { context }));
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <fieldset>
      <legend>Evaluation playground</legend>
      <form onSubmit={evaluate} className="inline">
        <label>
          Flag
          <select name="flag" aria-label="Flag">
            {keys.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          Targeting key
          <input name="targetingKey" defaultValue="user-1" required />
        </label>
        <label>
          App name
          <input name="appName" placeholder="cartae" />
        </label>
        <button type="submit" disabled={keys.length === 0}>
          Evaluate
        </button>
      </form>
      <Feedback error={error} />
      {result && (
        <p data-testid="evaluation" role="status">
          {result.key} → <strong>{String(result.value)}</strong> ({result.reason}
          {result.variant ? `, variant ${result.variant}` : ''})
        </p>
      )}
    </fieldset>
  );
}
