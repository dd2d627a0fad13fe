import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { AuditPageSchema, verifyAuditChain, type AuditEntry, type AuditVerification } from '@wharf/core';
import { TableHead } from './table.js';
import { Feedback } from './feedback.js';
import { api, describeError } from './api.js';

const PAGE = 1000;

/** Every entry matching `filters` (none: the whole chain, as `wharf audit verify` reads it), oldest first, page by page. */
async function entriesMatching(filters: Record<string, string> = {}): Promise<AuditEntry[]> {
  const rows: AuditEntry[] = [];
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''));
  query.set('limit', String(PAGE));
  for (let after = 0; ; ) {
    query.set('after', String(after));
    const page = await api(AuditPageSchema, 'GET', `/api/v1/audit?${query}`);
    rows.push(...page.entries);
    if (page.next === null) return rows;
    after = page.next;
  }
}

/** The hash-chained audit log: filters, newest first, and a verification made in this browser. */
export function Audit() {
  const [filters, setFilters] = useState<Record<string, string>>({});
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [verification, setVerification] = useState<AuditVerification | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      // Pages come oldest first; the screen shows the newest first.
      setEntries((await entriesMatching(filters)).reverse());
    } catch (err) {
      setError(describeError(err));
    }
  }, [filters]);
  useEffect(() => void load(), [load]);

  const filter = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setFilters({ actor: String(form.get('actor')), action: String(form.get('action')), target: String(form.get('target')) });
  };

  const verify = async () => {
    setVerification(null);
    setError(null);
    try {
      // Checked here with the same function the server uses: a server that lied about its own check is still caught.
      setVerification(verifyAuditChain(await entriesMatching()));
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form className="inline" onSubmit={filter} aria-label="Filter the audit log">
        <label>
          Actor
          <input name="actor" />
        </label>
        <label>
          Action
          <input name="action" placeholder="flags.update" />
        </label>
        <label>
          Target
          <input name="target" placeholder="flag:new-editor" />
        </label>
        <button type="submit">Filter</button>
        <button type="button" onClick={verify}>
          Verify chain
        </button>
      </form>
      {verification && (
        <p role="status" data-testid="verification" className={verification.ok ? 'notice' : 'error'}>
          {verification.ok
            ? `Chain intact: ${verification.count} entries, head ${verification.head.slice(0, 16)}… (checked in this browser)`
            : `Chain broken at entry ${verification.seq}: ${verification.problem} — ${verification.message}`}
        </p>
      )}
      <Feedback error={error} />
      {entries && entries.length === 0 && <p>No entries match.</p>}
      {entries && entries.length > 0 && (
        <table>
          <TableHead columns={['#', 'When', 'Actor', 'Action', 'Target']} />
          <tbody>
            {entries.map((e) => (
              <tr key={e.seq} data-testid="audit-row">
                <td>{e.seq}</td>
                <td>{e.at.replace('T', ' ').slice(0, 19)}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td>{e.target}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
