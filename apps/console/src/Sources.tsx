import { useCallback, useEffect, useState, type FormEvent } from 'react';
import {
  CandidateProbeSchema,
  MarketplaceSourceHistorySchema,
  MarketplaceSourceVersionSchema,
  SOURCE_TYPES,
  SourceHealthSchema,
  type CandidateProbe,
  type MarketplaceSource,
  type MarketplaceSourceHistory,
  type Me,
  type SourceHealth,
} from '@wharf/core';
import { useServerEvents } from './live.js';
import { TableHead } from './table.js';
import { Feedback, useFeedback } from './feedback.js';
import { api, ApiError, describeError } from './api.js';
import { DiffTable } from './diff.js';
import { BarFigure, lastDays, SERIES_COLOURS } from './charts.js';

const PATH = '/api/v1/config/marketplace_source';
/** Days of fleet counts charted. */
const DAYS = 14;
type Draft = Record<string, unknown>;

/** `name=url` lines. */
const parseSources = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()]),
  );

/** Where the fleet reads plugins from: the configuration in force, a change with its diff, a URL test, health and history with revert. */
export function Sources({ me }: { me: Me }) {
  const canWrite = me.permissions.includes('sources.write');
  const [current, setCurrent] = useState<{ version: number; config: MarketplaceSource } | null>(null);
  const [history, setHistory] = useState<MarketplaceSourceHistory | null>(null);
  const [health, setHealth] = useState<SourceHealth | null>(null);
  const [pending, setPending] = useState<{ next: Draft; why: string } | null>(null);
  const { error, notice, fail, run } = useFeedback();
  // Nothing is shown (nor typed into) until the first answers are in.
  const [loaded, setLoaded] = useState(false);

  const load = useCallback(async () => {
    try {
      const version = await api(MarketplaceSourceVersionSchema, 'GET', PATH).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      });
      setCurrent(version && { version: version.version, config: version.config });
      setHistory(await api(MarketplaceSourceHistorySchema, 'GET', `${PATH}/history`));
      setHealth(await api(SourceHealthSchema, 'GET', `/api/v1/sources/health?days=${DAYS}`));
      setLoaded(true);
    } catch (err) {
      fail(err);
    }
  }, [fail]);
  useEffect(() => void load(), [load]);
  useServerEvents('config.changed', () => void load());

  const review = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next: Draft = {
      type: form.get('type'),
      priority: String(form.get('priority')).split(',').map((s) => s.trim()).filter(Boolean),
      sources: parseSources(String(form.get('sources'))),
      canaryPercent: Number(form.get('canaryPercent')),
      ttlSeconds: Number(form.get('ttlSeconds')),
      healthCheckEnabled: form.get('healthCheckEnabled') === 'on',
      fallbackOnError: form.get('fallbackOnError') === 'on',
    };
    const canarySource = String(form.get('canarySource')).trim();
    if (canarySource) next.canarySource = canarySource;
    setPending({ next, why: 'Switch the fleet to this configuration?' });
  };

  const confirm = async () => {
    if (!pending) return;
    const stored = await run(() => api(MarketplaceSourceVersionSchema, 'PUT', PATH, pending.next), (s) => `Version ${s.version} is in force: clients take it at their next refresh (within ${s.config.ttlSeconds} s).`, load);
    if (stored) setPending(null);
  };

  const c = current?.config;
  if (!loaded) return error ? <p role="alert" className="error">{error}</p> : <p className="loading">Loading the source…</p>;
  return (
    <section aria-labelledby="sources-title">
      <h1 id="sources-title">Marketplace source</h1>
      <p className="muted" data-testid="source-current">
        {current ? `Version ${current.version}: ${c!.type}, ${c!.priority.join(' → ')}${c!.canaryPercent > 0 ? `, canary ${c!.canaryPercent}% → ${c!.canarySource}` : ''}, TTL ${c!.ttlSeconds} s` : 'No source configured yet: clients use the registry itself.'}
      </p>
      <Feedback error={error} notice={notice} />
      {canWrite && (
        <form onSubmit={review} aria-label="Change the source" key={current?.version ?? 0}>
          <fieldset>
            <legend>Change</legend>
            <div className="inline">
              <label>
                Type
                <select name="type" aria-label="Type" defaultValue={c?.type ?? 'cdn'}>
                  {SOURCE_TYPES.map((t) => (
                    <option key={t}>{t}</option>
                  ))}
                </select>
              </label>
              <label>
                Priority
                <input name="priority" defaultValue={c?.priority.join(', ') ?? ''} placeholder="cdn, git" />
              </label>
              <label>
                Canary %
                <input name="canaryPercent" type="number" min={0} max={100} step="0.01" defaultValue={c?.canaryPercent ?? 0} />
              </label>
              <label>
                Canary source
                <input name="canarySource" defaultValue={c?.canarySource ?? ''} />
              </label>
              <label>
                TTL (s)
                <input name="ttlSeconds" type="number" min={10} max={86400} defaultValue={c?.ttlSeconds ?? 300} />
              </label>
            </div>
            <label>
              Sources (one name=url per line)
              <textarea name="sources" aria-label="Sources (one name=url per line)" rows={3} defaultValue={Object.entries(c?.sources ?? {}).map(([n, u]) => `${n}=${u}`).join('\n')} />
            </label>
            <div className="inline">
              <label className="check">
                <input type="checkbox" name="healthCheckEnabled" defaultChecked={c?.healthCheckEnabled ?? true} /> Server probes
              </label>
              <label className="check">
                <input type="checkbox" name="fallbackOnError" defaultChecked={c?.fallbackOnError ?? true} /> Clients fall back on errors
              </label>
              <button type="submit">Review change</button>
            </div>
          </fieldset>
        </form>
      )}
      {pending && (
        <div role="dialog" aria-labelledby="confirm-title" className="confirm">
          <h2 id="confirm-title">{pending.why}</h2>
          <DiffTable before={(c as Draft | undefined) ?? {}} after={pending.next} />
          <div className="inline">
            <button type="button" onClick={confirm}>
              Confirm switch
            </button>
            <button type="button" className="link" onClick={() => setPending(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {canWrite && <TestUrl />}
      <Health health={health} />
      {history && history.versions.length > 0 && (
        <>
          <h2>History</h2>
          <table>
            <TableHead columns={['Version', 'When', 'By', 'Configuration', canWrite ? '' : null]} />
            <tbody>
              {history.versions.map((v) => (
                <tr key={v.version} data-testid="history-row" data-version={v.version}>
                  <td>v{v.version}</td>
                  <td>{v.updatedAt.replace('T', ' ').slice(0, 19)}</td>
                  <td>{v.updatedBy}</td>
                  <td>
                    {v.config.type}, {v.config.priority.join(' → ')}
                    {v.config.canaryPercent > 0 ? `, canary ${v.config.canaryPercent}% → ${v.config.canarySource}` : ''}
                  </td>
                  {canWrite && (
                    <td>
                      {v.version !== current?.version && (
                        <button type="button" onClick={() => setPending({ next: v.config as Draft, why: `Revert to version ${v.version}? It is stored as a new version.` })}>
                          Revert to v{v.version}
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function TestUrl() {
  const [result, setResult] = useState<CandidateProbe | null>(null);
  const [error, setError] = useState<string | null>(null);
  const test = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setResult(null);
    setError(null);
    try {
      setResult(await api(CandidateProbeSchema, 'POST', '/api/v1/sources/probe', { url: String(new FormData(e.currentTarget).get('url')).trim() }));
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <fieldset>
      <legend>Test a URL before switching</legend>
      <form className="inline" onSubmit={test}>
        <label>
          Candidate URL
          <input name="url" type="url" required placeholder="https://cdn.example.com/plugins/" size={40} />
        </label>
        <button type="submit">Test this URL</button>
      </form>
      <Feedback error={error} />
      {result && (
        <p role="status" data-testid="probe" className={result.ok ? 'notice' : 'error'}>
          {result.ok ? `catalog.json answered ${result.status} in ${result.latencyMs} ms` : `Not usable: ${result.error}`}
        </p>
      )}
    </fieldset>
  );
}

function Health({ health }: { health: SourceHealth | null }) {
  if (!health || (health.probes.length === 0 && health.stats.length === 0)) return null;
  const today = new Date().toISOString().slice(0, 10);
  const todays = { ...health, stats: health.stats.filter((s) => s.day === today) };
  return (
    <>
      <h2>Health</h2>
      <FleetChart health={health} />
      <HealthTable health={todays} />
    </>
  );
}

/** Requests per day and source as clients reported them (opt-in counts), with the errors. */
function FleetChart({ health }: { health: SourceHealth }) {
  if (health.stats.length === 0) return null;
  const days = lastDays(DAYS);
  const sources = [...new Set(health.stats.map((s) => s.source))];
  const count = (day: string, source: string | null, field: 'requests' | 'errors') =>
    health.stats.filter((s) => s.day === day && (source === null || s.source === source)).reduce((n, s) => n + s[field], 0);
  const total = health.stats.reduce((n, s) => n + s.requests, 0);
  const errors = health.stats.reduce((n, s) => n + s.errors, 0);
  const summary = `${total} requests and ${errors} errors reported over ${DAYS} days, from ${sources.join(', ')}`;
  return (
    <BarFigure
      caption={`Fleet: ${summary}.`}
      label={summary}
      testId="fleet-summary"
      scales={{ x: { stacked: true }, y: { stacked: true, beginAtZero: true } }}
      data={{
        labels: days.map((d) => d.slice(5)),
        datasets: [
          ...sources.map((source, i) => ({ label: `${source} requests`, data: days.map((d) => count(d, source, 'requests')), backgroundColor: SERIES_COLOURS[i % SERIES_COLOURS.length], stack: 'requests' })),
          { label: 'errors', data: days.map((d) => count(d, null, 'errors')), backgroundColor: '#b42318', stack: 'errors' },
        ],
      }}
    />
  );
}

function HealthTable({ health }: { health: SourceHealth }) {
  return (
    <>
      <table>
        <TableHead columns={['Source', 'Server probe', 'Fleet today: requests', 'errors', 'fallbacks']} />
        <tbody>
          {[...new Set([...health.probes.map((p) => p.source), ...health.stats.map((s) => s.source)])].map((source) => {
            const p = health.probes.find((x) => x.source === source);
            const s = health.stats.find((x) => x.source === source);
            return (
              <tr key={source}>
                <td>{source}</td>
                <td>{p ? (p.ok ? `ok, ${p.latencyMs} ms` : `failing (${p.consecutiveFailures}): ${p.error}`) : '—'}</td>
                <td>{s?.requests ?? 0}</td>
                <td>{s?.errors ?? 0}</td>
                <td>{s?.fallbacks ?? 0}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
