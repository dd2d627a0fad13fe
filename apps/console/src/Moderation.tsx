import { useCallback, useEffect, useState } from 'react';
import { ListingListSchema, PluginListingSchema, ReportListSchema, ReportSchema, type Me, type PluginListing, type Report } from '@wharf/core';
import { TableHead } from './table.js';
import { Feedback, useFeedback } from './feedback.js';
import { api } from './api.js';

const STATES = ['pending', 'published', 'suspended'] as const;

/** Marketplace moderation: listings by state (approve, suspend, reinstate) and open abuse reports. */
export function Moderation({ me }: { me: Me }) {
  const canAct = me.permissions.includes('moderation');
  const [state, setState] = useState<(typeof STATES)[number]>('pending');
  const [listings, setListings] = useState<PluginListing[] | null>(null);
  const [reports, setReports] = useState<Report[]>([]);
  const { error, notice, fail, run } = useFeedback();

  const load = useCallback(async () => {
    try {
      setListings((await api(ListingListSchema, 'GET', `/api/v1/moderation/plugins?state=${state}&size=100`)).plugins);
      setReports((await api(ReportListSchema, 'GET', '/api/v1/moderation/reports?state=open&size=100')).reports);
    } catch (err) {
      fail(err);
    }
  }, [state, fail]);
  useEffect(() => void load(), [load]);

  const act = (what: () => Promise<unknown>, done: string) => run(what, done, load);
  const setListing = (id: string, next: 'published' | 'suspended') =>
    act(() => api(PluginListingSchema, 'PUT', `/api/v1/moderation/plugins/${encodeURIComponent(id)}/state`, { state: next }), `${id} is ${next}.`);
  const resolve = (r: Report, action: 'dismiss' | 'hide-review' | 'suspend-plugin') =>
    act(() => api(ReportSchema, 'POST', `/api/v1/moderation/reports/${encodeURIComponent(r.id)}/resolve`, { action }), `Report on ${r.pluginId}: ${action}.`);

  return (
    <section aria-labelledby="moderation-title">
      <h1 id="moderation-title">Moderation</h1>
      <Feedback error={error} notice={notice} />
      <div className="inline" role="group" aria-label="Listings by state">
        {STATES.map((s) => (
          <button key={s} type="button" className="link" aria-pressed={state === s} onClick={() => setState(s)}>
            {s}
          </button>
        ))}
      </div>
      {listings && listings.length === 0 && <p>No {state} listings.</p>}
      {listings && listings.length > 0 && (
        <table>
          <TableHead columns={['Plugin', 'Package', 'Publisher', 'Category', canAct ? '' : null]} />
          <tbody>
            {listings.map((l) => (
              <tr key={l.id} data-testid="listing-row" data-plugin={l.id}>
                <td>
                  <strong>{l.name}</strong> <span className="muted">{l.id}</span>
                  <br />
                  {l.description}
                </td>
                <td>{l.package ? `${l.package}${l.latestVersion ? `@${l.latestVersion}` : ''}` : '—'}</td>
                <td>{l.publisher ?? '—'}</td>
                <td>{l.category}</td>
                {canAct && (
                  <td>
                    {l.state !== 'published' && (
                      <button type="button" onClick={() => setListing(l.id, 'published')}>
                        {l.state === 'pending' ? 'Approve' : 'Reinstate'}
                      </button>
                    )}{' '}
                    {l.state !== 'suspended' && (
                      <button type="button" onClick={() => setListing(l.id, 'suspended')}>
                        Suspend
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Open reports</h2>
      {reports.length === 0 ? (
        <p>No open reports.</p>
      ) : (
        <table>
          <TableHead columns={['Plugin', 'Reason', 'Details', canAct ? '' : null]} />
          <tbody>
            {reports.map((r) => (
              <tr key={r.id} data-testid="report-row">
                <td>
                  {r.pluginId}
                  {r.reviewId ? ' (a review)' : ''}
                </td>
                <td>{r.reason}</td>
                <td>{r.details}</td>
                {canAct && (
                  <td>
                    <button type="button" onClick={() => resolve(r, 'dismiss')}>
                      Dismiss
                    </button>{' '}
                    {r.reviewId ? (
                      <button type="button" onClick={() => resolve(r, 'hide-review')}>
                        Hide review
                      </button>
                    ) : (
                      <button type="button" onClick={() => resolve(r, 'suspend-plugin')}>
                        Suspend plugin
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
