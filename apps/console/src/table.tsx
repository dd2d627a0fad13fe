/** A table's column headings; a null column is not shown (one the caller may not use). */
export function TableHead({ columns }: { columns: (string | null)[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) => (c === null ? null : <th key={i} scope="col">{c}</th>))}
      </tr>
    </thead>
  );
}
