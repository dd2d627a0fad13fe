import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { BarFigure } from './charts.js';
import { CHANNELS, PluginHealthSchema, RolloutListSchema, RolloutSchema, type Me, type PluginHealth, type Rollout } from '@wharf/core';
import { useServerEvents } from './live.js';
import { TableHead } from './table.js';
import { Feedback, useFeedback } from './feedback.js';
import { api } from './api.js';

const pct = (n: number) => `${Math.round(n * 10000) / 100}%`;

/** Staged rollouts: start one, raise, halt, resume, roll back, and each version's error rate against the threshold. */
export function Rollouts({ me }: { me: Me }) {
  const canWrite = me.permissions.includes('rollouts.write');
  const [rollouts, setRollouts] = useState<Rollout[] | null>(null);
  const [selected, setSelected] = useState<Rollout | null>(null);
  const { error, notice, fail, run } = useFeedback();

  const load = useCallback(async () => {
    try {
      const list = (await api(RolloutListSchema, 'GET', '/api/v1/rollouts')).rollouts;
      setRollouts(list);
      setSelected((s) => (s ? (list.find((r) => r.id === s.id) ?? null) : (list[0] ?? null)));
    } catch (err) {
      fail(err);
    }
  }, [fail]);
  useEffect(() => void load(), [load]);
  useServerEvents('rollout.changed', () => void load());

  const act = async (what: () => Promise<Rollout>) => {
    const r = await run(what, (x) => `${x.plugin}@${x.channel}: ${x.version} at ${x.percentage}%, ${x.state.replace('_', ' ')}`, load);
    if (r) setSelected(r);
  };

  const start = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    void act(() =>
      api(RolloutSchema, 'POST', '/api/v1/rollouts', {
        plugin: String(f.get('plugin')).trim(),
        channel: f.get('channel'),
        version: String(f.get('version')).trim(),
        percentage: Number(f.get('percentage')),
        errorThreshold: Number(f.get('errorThreshold')) / 100,
      }),
    );
  };

  return (
    <section aria-labelledby="rollouts-title">
      <h1 id="rollouts-title">Rollouts</h1>
      <Feedback error={error} notice={notice} />
      {canWrite && (
        <form onSubmit={start} aria-label="Start a rollout">
          <fieldset>
            <legend>Start a rollout</legend>
            <div className="inline">
              <label>
                Plugin
                <input name="plugin" required placeholder="@cartae/plugin-hello" />
              </label>
              <label>
                Channel
                <select name="channel" aria-label="Channel" defaultValue="stable">
                  {CHANNELS.map((c) => (
                    <option key={c}>{c}</option>
                  ))}
                </select>
              </label>
              <label>
                Version
                <input name="version" required placeholder="1.1.0" />
              </label>
              <label>
                Share %
                <input name="percentage" type="number" min={0} max={100} step="0.01" defaultValue={10} />
              </label>
              <label>
                Error threshold (points)
                <input name="errorThreshold" type="number" min={0} max={100} step="0.1" defaultValue={5} />
              </label>
              <button type="submit">Start</button>
            </div>
          </fieldset>
        </form>
      )}
      {rollouts && rollouts.length === 0 && <p>No rollouts yet.</p>}
      {rollouts && rollouts.length > 0 && (
        <table>
          <TableHead columns={['Plugin', 'Versions', 'Share', 'State', canWrite ? '' : null]} />
          <tbody>
            {rollouts.map((r) => (
              <tr key={r.id} data-testid="rollout-row" data-rollout={r.id} aria-selected={selected?.id === r.id} onClick={() => setSelected(r)}>
                <td>
                  {r.plugin}@{r.channel}
                </td>
                <td>
                  {r.previousVersion ?? '—'} → {r.version}
                </td>
                <td>{r.percentage}%</td>
                <td data-testid="rollout-state">
                  {r.state.replace('_', ' ')}
                  {r.reason ? ` (${r.reason})` : ''}
                </td>
                {canWrite && (
                  <td>
<div className="inline">
                    {r.state === 'active' && <Raise rollout={r} onRaise={(p) => act(() => api(RolloutSchema, 'POST', `/api/v1/rollouts/${r.id}/raise`, { percentage: p }))} />}
                    {r.state === 'active' && (
                      <button type="button" onClick={() => act(() => api(RolloutSchema, 'POST', `/api/v1/rollouts/${r.id}/halt`))}>
                        Halt
                      </button>
                    )}
                    {r.state === 'halted' && (
                      <button type="button" onClick={() => act(() => api(RolloutSchema, 'POST', `/api/v1/rollouts/${r.id}/resume`))}>
                        Resume
                      </button>
                    )}
                    {(r.state === 'active' || r.state === 'halted') && (
                      <button type="button" onClick={() => act(() => api(RolloutSchema, 'POST', `/api/v1/rollouts/${r.id}/rollback`, { reason: `by ${me.name} from the console` }))}>
                        Roll back
                      </button>
                    )}
                  </div>
</td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && <HealthChart key={`${selected.id}-${selected.updatedAt}`} rollout={selected} />}
    </section>
  );
}

function Raise({ rollout, onRaise }: { rollout: Rollout; onRaise: (percentage: number) => void }) {
  const [value, setValue] = useState(String(Math.min(100, rollout.percentage * 2 || 10)));
  return (
    <>
      <input aria-label={`New share of ${rollout.plugin}@${rollout.channel}`} type="number" min={rollout.percentage} max={100} value={value} onChange={(e) => setValue(e.target.value)} />
      <button type="button" onClick={() => onRaise(Number(value))}>
        Raise
      </button>
    </>
  );
}

/** Error rate per version as clients report it; the new version is rolled back when it passes the previous one's rate plus the threshold. */
function HealthChart({ rollout }: { rollout: Rollout }) {
  const [health, setHealth] = useState<PluginHealth | null>(null);
  useEffect(() => {
    api(PluginHealthSchema, 'GET', `/api/v1/rollouts/health?plugin=${encodeURIComponent(rollout.plugin)}`).then(setHealth, () => setHealth(null));
  }, [rollout.plugin]);
  if (!health) return null;
  const shown = health.versions.filter((v) => v.version === rollout.version || v.version === rollout.previousVersion);
  const previous = shown.find((v) => v.version === rollout.previousVersion);
  const limit = previous ? previous.errorRate + rollout.errorThreshold : rollout.errorThreshold;
  const summary = shown.map((v) => `${v.version}: ${pct(v.errorRate)} errors in ${v.activations + v.errors} reports`).join('; ') || 'no reports yet';
  return (
    <BarFigure
      caption={<>Health of {rollout.plugin}: {summary}. Rolled back above {pct(limit)}.</>}
      label={`Error rate per version: ${summary}; limit ${pct(limit)}`}
      scales={{ y: { min: 0, suggestedMax: Math.min(1, limit * 1.5 || 0.1), ticks: { callback: (v) => pct(Number(v)) } } }}
      data={{
        labels: shown.map((v) => v.version),
        datasets: [
          { label: 'error rate', data: shown.map((v) => v.errorRate), backgroundColor: shown.map((v) => (v.version === rollout.version && v.errorRate > limit ? '#b42318' : '#2f6fde')) },
          { label: 'limit', data: shown.map(() => limit), backgroundColor: '#f0a50066' },
        ],
      }}
    />
  );
}
