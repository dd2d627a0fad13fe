import { useCallback, useEffect, useState } from 'react';
import { PublishedSnapshotSchema, SnapshotHistorySchema, SnapshotStageSchema, type Me, type PublishedSnapshot, type SnapshotHistory, type SnapshotStage } from '@wharf/core';
import { useServerEvents } from './live.js';
import { TableHead } from './table.js';
import { Feedback, useFeedback } from './feedback.js';
import { api, ApiError } from './api.js';
import { DiffTable } from './diff.js';

type Doc = Record<string, unknown>;
const notFoundAsNull = (err: unknown) => {
  if (err instanceof ApiError && err.status === 404) return null;
  throw err;
};

/** Config snapshots: edit the draft, promote it to preview, publish it, roll back, compare versions. */
export function Snapshots({ me }: { me: Me }) {
  const canDraft = me.permissions.includes('snapshots.draft');
  const canPublish = me.permissions.includes('snapshots.publish');
  const [published, setPublished] = useState<PublishedSnapshot | null>(null);
  const [draft, setDraft] = useState<SnapshotStage | null>(null);
  const [preview, setPreview] = useState<SnapshotStage | null>(null);
  const [history, setHistory] = useState<SnapshotHistory | null>(null);
  const [text, setText] = useState('{}');
  const [compare, setCompare] = useState<PublishedSnapshot | null>(null);
  const { error, notice, setError, fail, run } = useFeedback();
  // Nothing is shown (nor typed into) until the first answers are in.
  const [loaded, setLoaded] = useState(false);

  // Later loads (after an action, or an announcement from elsewhere) leave the editor's text alone.
  const load = useCallback(async (resetEditor = true) => {
    try {
      const current = await api(PublishedSnapshotSchema, 'GET', '/api/v1/snapshots/published').catch(notFoundAsNull);
      setPublished(current);
      setHistory(await api(SnapshotHistorySchema, 'GET', '/api/v1/snapshots/history'));
      if (me.permissions.includes('snapshots.read-draft')) {
        const d = await api(SnapshotStageSchema, 'GET', '/api/v1/snapshots/draft').catch(notFoundAsNull);
        setDraft(d);
        setPreview(await api(SnapshotStageSchema, 'GET', '/api/v1/snapshots/preview').catch(notFoundAsNull));
        if (resetEditor) setText(JSON.stringify(d?.document ?? current?.document ?? {}, null, 2));
      }
      setLoaded(true);
    } catch (err) {
      fail(err);
    }
  }, [me.permissions, fail]);
  useEffect(() => void load(), [load]);
  useServerEvents('snapshot.published', () => void load(false));

  // The editor keeps what was typed: only the first load fills it.
  const act = (what: () => Promise<unknown>, done: string) => run(what, done, () => load(false));

  const saveDraft = () => {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (err) {
      return setError(`The draft is not JSON: ${(err as Error).message}`);
    }
    if (!document || typeof document !== 'object' || Array.isArray(document)) return setError('The draft must be a JSON object.');
    return act(() => api(SnapshotStageSchema, 'POST', '/api/v1/snapshots/draft', { document }), 'Draft saved.');
  };

  if (!loaded) return error ? <p role="alert" className="error">{error}</p> : <p className="loading">Loading snapshots…</p>;
  return (
    <section aria-labelledby="snapshots-title">
      <h1 id="snapshots-title">Config snapshots</h1>
      <p className="muted" data-testid="snapshot-current">
        {published ? `Published: version ${published.version}${published.rollbackOf ? ` (rollback of ${published.rollbackOf})` : ''}, by ${published.publishedBy}` : 'Nothing published yet.'}
      </p>
      <Feedback error={error} notice={notice} />
      {canDraft && (
        <fieldset>
          <legend>Draft</legend>
          <label>
            Draft document (JSON)
            <textarea aria-label="Draft document (JSON)" rows={8} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} className="code" />
          </label>
          <div className="inline">
            <button type="button" onClick={saveDraft}>
              Save draft
            </button>
            <button type="button" disabled={!draft} onClick={() => act(() => api(SnapshotStageSchema, 'POST', '/api/v1/snapshots/preview'), 'The draft is the preview now: publish it to make it public.')}>
              Promote to preview
            </button>
          </div>
        </fieldset>
      )}
      {preview && (
        <fieldset>
          <legend>Preview: what publishing changes</legend>
          <DiffTable before={(published?.document ?? {}) as Doc} after={preview.document as Doc} labels={['Published', 'Preview']} />
          {preview.previewKey && (
            <p>
              Preview link for testers (no token needed; the next promotion replaces it): <code data-testid="preview-link">{`${location.origin}/api/v1/snapshots/preview/${preview.previewKey}`}</code>
            </p>
          )}
          {canPublish && (
            <button type="button" onClick={() => act(() => api(PublishedSnapshotSchema, 'POST', '/api/v1/snapshots/publish'), 'Published.')}>
              Publish
            </button>
          )}
        </fieldset>
      )}
      {history && history.versions.length > 0 && (
        <>
          <h2>History</h2>
          <table>
            <TableHead columns={['Version', 'When', 'By', '']} />
            <tbody>
              {history.versions.map((v) => (
                <tr key={v.version} data-testid="snapshot-row" data-version={v.version}>
                  <td>
                    v{v.version}
                    {v.rollbackOf ? ` (rollback of v${v.rollbackOf})` : ''}
                    {v.version === history.current ? ' · current' : ''}
                  </td>
                  <td>{v.publishedAt.replace('T', ' ').slice(0, 19)}</td>
                  <td>{v.publishedBy}</td>
                  <td>
<div className="inline">
                    {v.version !== history.current && (
                      <button type="button" onClick={() => api(PublishedSnapshotSchema, 'GET', `/api/v1/snapshots/versions/${v.version}`).then(setCompare, fail)}>
                        Diff with current
                      </button>
                    )}
                    {canPublish && v.version !== history.current && (
                      <button type="button" onClick={() => act(() => api(PublishedSnapshotSchema, 'POST', '/api/v1/snapshots/rollback', { version: v.version }), `Rolled back to version ${v.version}.`)}>
                        Roll back to v{v.version}
                      </button>
                    )}
                  </div>
</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {compare && (
        <fieldset>
          <legend>
            Version {compare.version} against the current one
          </legend>
          <DiffTable before={compare.document as Doc} after={(published?.document ?? {}) as Doc} labels={[`v${compare.version}`, 'Current']} />
        </fieldset>
      )}
    </section>
  );
}
