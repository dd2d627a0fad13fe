/** Plain-text tables for the terminal (and pasteable as Markdown). */

const fmt = (n, digits = 0) => (n === undefined || n === null || Number.isNaN(n) ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function cell(m) {
  if (!m) return ['—', '—', '—'];
  if (m.skipped) return [m.skipped, '', ''];
  const flag = m.bad > 0 ? ` (${fmt((100 * m.bad) / Math.max(m.total, 1), 1)}% failed or wrong status)` : '';
  return [`${fmt(m.rps)}${flag}`, fmt(m.p50, 1), fmt(m.p99, 1)];
}

/** One row per case: Wharf and Verdaccio side by side, then their throughput ratio. */
export function loadTable(cases, results) {
  const rows = cases.map((c) => {
    const w = results.Wharf?.[c.id];
    const v = results.Verdaccio?.[c.id];
    const ratio = w?.rps && v?.rps && !w.skipped && !v.skipped ? `${fmt(w.rps / v.rps, 1)}×` : '—';
    return [c.label, ...cell(w), ...cell(v), ratio];
  });
  return table(['case', 'Wharf req/s', 'p50 ms', 'p99 ms', 'Verdaccio req/s', 'p50 ms', 'p99 ms', 'Wharf/Verdaccio'], rows);
}

export function nginxTable(cases, results) {
  const rows = cases.map((c) => {
    const w = results.Wharf?.[c.id];
    const n = results.nginx?.[c.id];
    const share = w?.rps && n?.rps && !w.skipped && !n.skipped ? `${fmt((100 * w.rps) / n.rps, 0)}%` : '—';
    return [c.label, ...cell(w), ...cell(n), share];
  });
  return table(['case', 'Wharf req/s', 'p50 ms', 'p99 ms', 'nginx req/s', 'p50 ms', 'p99 ms', 'Wharf as % of nginx'], rows);
}

/** Requests answered per CPU-second of the server: what a request costs, whatever else ran on the machine. */
export function cpuTable(cases, results) {
  const per = (server, id) => {
    const m = results[server]?.[id];
    return m && !m.skipped && m.perCpuSecond ? m.perCpuSecond : undefined;
  };
  const rows = cases.map((c) => {
    const [w, v, n] = [per('Wharf', c.id), per('Verdaccio', c.id), per('nginx', c.id)];
    return [c.label, fmt(w), fmt(v), w && v ? `${fmt(w / v, 1)}×` : '—', fmt(n), w && n ? `${fmt((100 * w) / n, 0)}%` : '—'];
  });
  return table(['case', 'Wharf req/CPU-s', 'Verdaccio req/CPU-s', 'Wharf/Verdaccio', 'nginx req/CPU-s', 'Wharf as % of nginx'], rows);
}

export function publishTable(publishes) {
  const rows = Object.entries(publishes).map(([server, p]) => [
    server,
    p.count,
    fmt(p.mean, 1),
    fmt(p.median, 1),
    fmt(p.p90, 1),
    fmt(p.max, 1),
    p.serverMean === undefined ? 'not exposed' : fmt(p.serverMean, 1),
  ]);
  return table(['server', 'publishes', 'client mean ms', 'median ms', 'p90 ms', 'max ms', 'server mean ms'], rows);
}

export function summarise(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { count: times.length, mean: times.reduce((a, b) => a + b, 0) / times.length, median: at(0.5), p90: at(0.9), max: sorted.at(-1) };
}

/** The targets of issue 2, checked against this run. */
export function targetLines(results, publishes) {
  const lines = [];
  const ratio = (id) => {
    const w = results.Wharf?.[id];
    const v = results.Verdaccio?.[id];
    return w?.rps && v?.rps && !w.skipped && !v.skipped ? w.rps / v.rps : undefined;
  };
  const verdict = (ok) => (ok === undefined ? 'not measured' : ok ? 'met' : 'NOT met');
  for (const id of ['full-spread', 'abbreviated-spread', '304-spread']) {
    const r = ratio(id);
    lines.push(`${id}: Wharf/Verdaccio ${r === undefined ? '—' : `${fmt(r, 1)}×`} (target ≥ 5×): ${verdict(r === undefined ? undefined : r >= 5)}`);
  }
  const w = results.Wharf?.['tarball-hot'];
  const n = results.nginx?.['tarball-hot'];
  const share = w?.rps && n?.rps ? w.rps / n.rps : undefined;
  lines.push(`tarball-hot: Wharf at ${share === undefined ? '—' : `${fmt(100 * share, 0)}%`} of nginx (target ≥ 70%): ${verdict(share === undefined ? undefined : share >= 0.7)}`);
  const server = publishes.Wharf?.serverMean;
  lines.push(`publish: Wharf server time ${server === undefined ? '—' : `${fmt(server, 1)} ms`} (target < 20 ms): ${verdict(server === undefined ? undefined : server < 20)}`);
  return lines.join('\n');
}
