/** Field by field, what differs between two JSON objects (top level): shown before a change is confirmed. */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>): { field: string; from: string; to: string }[] {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  return fields.filter((f) => show(before[f]) !== show(after[f])).map((f) => ({ field: f, from: show(before[f]), to: show(after[f]) }));
}

export function DiffTable({ before, after, labels = ['Now', 'After'] }: { before: Record<string, unknown>; after: Record<string, unknown>; labels?: [string, string] }) {
  const rows = diff(before, after);
  if (rows.length === 0) return <p data-testid="diff">No difference.</p>;
  return (
    <table data-testid="diff" className="diff">
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">{labels[0]}</th>
          <th scope="col">{labels[1]}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((d) => (
          <tr key={d.field}>
            <td>{d.field}</td>
            <td>{d.from}</td>
            <td>{d.to}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
