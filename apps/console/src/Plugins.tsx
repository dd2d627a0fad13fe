import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { PluginStatsSchema, PluginVersionsSchema, SearchResultSchema, type Me, type SearchHit, type SearchResult } from '@wharf/core';
import { BarFigure, lastDays, SERIES_COLOURS } from './charts.js';
import { TableHead } from './table.js';
import { Feedback, useFeedback } from './feedback.js';
import { api, describeError } from './api.js';

type Versions = ReturnType<typeof PluginVersionsSchema.parse>;
type Stats = ReturnType<typeof PluginStatsSchema.parse>;
const DAYS = 30;

/** The marketplace as users see it: search with facets, each plugin's versions, and deprecation and revocation for owners and admins. */
export function Plugins({ me }: { me: Me }) {
  const [query, setQuery] = useState<Record<string, string>>({ q: '' });
  const [result, setResult] = useState<SearchResult | null>(null);
  const [open, setOpen] = useState<SearchHit | null>(null);
  const [error, setError] = useState<string | null>(null);

  const search = useCallback(async () => {
    try {
      const params = new URLSearchParams(Object.entries({ ...query, size: '50' }).filter(([, v]) => v !== ''));
      setResult(await api(SearchResultSchema, 'GET', `/api/v1/search?${params}`));
    } catch (err) {
      setError(describeError(err));
    }
  }, [query]);
  useEffect(() => void search(), [search]);

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setQuery({ ...query, q: String(new FormData(e.currentTarget).get('q')) });
  };
  const facet = (key: string, value: string) => setQuery((q) => ({ ...q, [key]: q[key] === value ? '' : value }));

  return (
    <section aria-labelledby="plugins-title">
      <h1 id="plugins-title">Plugins</h1>
      <form className="inline" onSubmit={submit} role="search">
        <label>
          Search
          <input name="q" defaultValue={query.q} placeholder="pdf, export…" />
        </label>
        <button type="submit">Search</button>
      </form>
      <Feedback error={error} />
      {result && (
        <div className="facets">
          <FacetGroup title="Category" counts={result.facets.categories} selected={query.category} onPick={(v) => facet('category', v)} />
          <FacetGroup title="Tag" counts={result.facets.tags} selected={query.tag} onPick={(v) => facet('tag', v)} />
        </div>
      )}
      {result && (
        <p className="muted" data-testid="search-total">
          {result.total} {result.total === 1 ? 'plugin' : 'plugins'}
        </p>
      )}
      {result && result.hits.length > 0 && (
        <table>
          <TableHead columns={['Plugin', 'Package', 'Installs', 'Rating']} />
          <tbody>
            {result.hits.map((h) => (
              <tr key={h.id} data-testid="plugin-row" data-plugin={h.id}>
                <td>
                  <button type="button" className="link" onClick={() => setOpen(open?.id === h.id ? null : h)} aria-expanded={open?.id === h.id}>
                    {h.name}
                  </button>{' '}
                  <span className="muted">{h.id}</span>
                  <br />
                  {h.description}
                </td>
                <td>{h.package ?? '—'}</td>
                <td>{h.installs}</td>
                <td>{h.rating.average === null ? '—' : `${h.rating.average.toFixed(1)} (${h.rating.count})`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && <VersionList key={open.id} hit={open} me={me} />}
    </section>
  );
}

function FacetGroup({ title, counts, selected, onPick }: { title: string; counts: Record<string, number>; selected: string | undefined; onPick: (value: string) => void }) {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  if (entries.length === 0) return null;
  return (
    <div role="group" aria-label={title} className="inline">
      <strong>{title}:</strong>
      {entries.map(([value, n]) => (
        <button key={value} type="button" className="link" aria-pressed={selected === value} onClick={() => onPick(value)}>
          {value} ({n})
        </button>
      ))}
    </div>
  );
}

function VersionList({ hit, me }: { hit: SearchHit; me: Me }) {
  const [versions, setVersions] = useState<Versions | null>(null);
  const { error, notice, fail, run } = useFeedback();
  const load = useCallback(() => api(PluginVersionsSchema, 'GET', `/api/v1/plugins/${encodeURIComponent(hit.id)}/versions`).then(setVersions, fail), [hit.id, fail]);
  useEffect(() => void load(), [load]);

  /** npm's own way (what `npm deprecate` sends): the package document with that version's message; an empty one lifts it. */
  const deprecate = async (version: string, current: string | null) => {
    const message = window.prompt(`Deprecation message for ${hit.package}@${version} (installers show it; empty lifts it)`, current ?? '');
    if (message === null) return;
    const body = { name: hit.package, versions: { [version]: { name: hit.package, version, deprecated: message } } };
    await run(() => api(null, 'PUT', `/${hit.package!.replace('/', '%2f')}`, body), message ? `${hit.package}@${version} is deprecated.` : `${hit.package}@${version} is no longer deprecated.`, load);
  };

  const revoke = async (version: string) => {
    const reason = window.prompt(`Why revoke ${hit.package}@${version}? Clients are told, and refuse to install it.`);
    if (!reason) return;
    await run(() => api(null, 'POST', '/trust/revocations', { name: hit.package, version, reason }), `${hit.package}@${version} is revoked.`, load);
  };

  return (
    <fieldset>
      <legend>
        {hit.name}: versions of {hit.package ?? '(no package)'}
      </legend>
      <Feedback error={error} notice={notice} />
      <UsageChart id={hit.id} />
      {versions && versions.versions.length === 0 && <p>No versions published.</p>}
      {versions && versions.versions.length > 0 && (
        <table>
          <TableHead columns={['Version', 'Published', 'Needs host', 'Signature', '']} />
          <tbody>
            {versions.versions.map((v) => (
              <tr key={v.version} data-testid="version-row" data-version={v.version}>
                <td>
                  {v.version}
                  {v.tags.length > 0 ? ` (${v.tags.join(', ')})` : ''}
                  {v.deprecated ? ` · deprecated: ${v.deprecated}` : ''}
                </td>
                <td>{v.publishedAt.slice(0, 10)}</td>
                <td>{v.compatibility.minHostVersion ? `>= ${v.compatibility.minHostVersion}` : 'any'}</td>
                <td data-testid="signature">{v.signature.status}</td>
                <td>
                  {!me.readonly && (
                    <>
                      <button type="button" onClick={() => deprecate(v.version, v.deprecated)}>
                        {v.deprecated ? 'Edit deprecation' : 'Deprecate'}
                      </button>{' '}
                      <button type="button" onClick={() => revoke(v.version)}>
                        Revoke
                      </button>
                    </>
                  )}{' '}
                  <a href={v.sbom.url}>SBOM</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </fieldset>
  );
}

/** Installs, activations and errors per day, from the opt-in counters host apps send. */
function UsageChart({ id }: { id: string }) {
  const [stats, setStats] = useState<Stats | null>(null);
  useEffect(() => {
    api(PluginStatsSchema, 'GET', `/api/v1/plugins/${encodeURIComponent(id)}/stats?days=${DAYS}`).then(setStats, () => setStats(null));
  }, [id]);
  if (!stats) return null;
  const sum = (f: 'installs' | 'activations' | 'errors') => stats.days.reduce((n, d) => n + d[f], 0);
  const summary = `${sum('installs')} installs, ${sum('activations')} activations and ${sum('errors')} errors reported over ${DAYS} days`;
  if (stats.days.length === 0) return <p className="muted">No usage reported over {DAYS} days (host apps send counters only when their users opt in).</p>;
  const days = lastDays(DAYS);
  const on = (day: string, f: 'installs' | 'activations' | 'errors') => stats.days.find((d) => d.day === day)?.[f] ?? 0;
  return (
    <BarFigure
      caption={`Usage: ${summary}.`}
      label={summary}
      testId="usage-summary"
      height={200}
      scales={{ y: { beginAtZero: true } }}
      data={{
        labels: days.map((d) => d.slice(5)),
        datasets: (['installs', 'activations', 'errors'] as const).map((f, i) => ({ label: f, data: days.map((d) => on(d, f)), backgroundColor: f === 'errors' ? '#b42318' : SERIES_COLOURS[i] })),
      }}
    />
  );
}
