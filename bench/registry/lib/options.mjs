import { parseArgs } from 'node:util';

/** Every knob, as `--flag value` or `BENCH_FLAG=value` (flags win); defaults are the figures of the README. */
const SPEC = {
  packages: { env: 'BENCH_PACKAGES', default: 200, help: 'packages seeded on each server' },
  versions: { env: 'BENCH_VERSIONS', default: 10, help: 'versions per package' },
  duration: { env: 'BENCH_DURATION', default: 10, help: 'seconds measured per case and server' },
  warmup: { env: 'BENCH_WARMUP', default: 2, help: 'seconds of unmeasured load before each measurement (0: none)' },
  connections: { env: 'BENCH_CONNECTIONS', default: 50, help: 'concurrent keep-alive connections' },
  publishes: { env: 'BENCH_PUBLISHES', default: 100, help: 'sequential publishes timed per server (0: skip)' },
  'seed-concurrency': { env: 'BENCH_SEED_CONCURRENCY', default: 4, help: 'packages seeded in parallel' },
  'nginx-workers': { env: 'BENCH_NGINX_WORKERS', default: 1, help: 'nginx worker processes' },
  timeout: { env: 'BENCH_TIMEOUT', default: 3600, help: 'seconds after which the whole run is aborted' },
  only: { env: 'BENCH_ONLY', default: 'wharf,verdaccio,nginx', help: 'servers to measure, comma-separated' },
  cases: { env: 'BENCH_CASES', default: '', help: 'case ids to run (prefix match, comma-separated); empty: all' },
  'database-url': { env: 'BENCH_WHARF_DATABASE_URL', default: '', help: "Wharf's metadata database (default: SQLite in the temp dir)" },
  'cpu-prof': { env: 'BENCH_CPU_PROF', default: '', help: 'directory where Wharf writes a --cpu-prof profile' },
  json: { env: 'BENCH_JSON', default: '', help: 'also write the results as JSON to this file' },
  'skip-build': { env: 'BENCH_SKIP_BUILD', default: false, help: 'do not run the root TypeScript build first' },
};

function usage() {
  const lines = Object.entries(SPEC).map(([flag, s]) => `  --${flag.padEnd(18)} ${s.env.padEnd(26)} ${s.help} (default: ${s.default === '' ? 'none' : s.default})`);
  return `usage: npm run bench:registry -- [flags]\n\n${lines.join('\n')}\n`;
}

export function readOptions(argv = process.argv.slice(2), env = process.env) {
  const { values } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean' }, ...Object.fromEntries(Object.entries(SPEC).map(([flag, s]) => [flag, { type: typeof s.default === 'boolean' ? 'boolean' : 'string' }])) },
  });
  if (values.help) {
    process.stdout.write(usage());
    process.exit(0);
  }
  const options = {};
  for (const [flag, s] of Object.entries(SPEC)) {
    const raw = values[flag] ?? env[s.env];
    const key = flag.replace(/-(.)/g, (_, c) => c.toUpperCase());
    if (raw === undefined || raw === '') options[key] = s.default;
    else if (typeof s.default === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n) || n < 0) throw new Error(`--${flag} / ${s.env} must be a non-negative number, got ${raw}`);
      options[key] = n;
    } else if (typeof s.default === 'boolean') options[key] = raw === true || raw === '1' || raw === 'true';
    else options[key] = String(raw);
  }
  if (options.packages < 1 || options.versions < 1 || options.duration < 1 || options.connections < 1) throw new Error('packages, versions, duration and connections must be at least 1');
  options.only = new Set(options.only.split(',').map((s) => s.trim()).filter(Boolean));
  options.cases = options.cases.split(',').map((s) => s.trim()).filter(Boolean);
  return options;
}
