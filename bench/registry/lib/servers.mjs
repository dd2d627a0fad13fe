import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, run, waitUntilReady } from './processes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const benchDir = join(here, '..');
export const repoRoot = join(benchDir, '..', '..');

/** Environment without WHARF_* from the caller's shell, so a stray variable cannot change what is measured. */
function cleanEnv(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WHARF_')));
  return { ...env, NODE_ENV: 'production', ...extra };
}

/** `wharf serve` from the built CLI, SQLite in a temp dir unless a PostgreSQL URL is given. */
export async function startWharf(resources, { databaseUrl, cpuProfDir }) {
  const data = resources.tempDir('wharf');
  const port = await freePort();
  const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const args = [...nodeArgs, join(repoRoot, 'packages/cli/bin/wharf.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--data', data];
  if (databaseUrl) args.push('--database-url', databaseUrl);
  // cwd = the data dir: no wharf.config.json from the caller's directory is picked up.
  const proc = resources.spawn('wharf', process.execPath, args, { cwd: data, env: cleanEnv({ WHARF_LOG_LEVEL: 'warn', ...(process.env.WHARF_REQUEST_LOG ? { WHARF_LOG_LEVEL: 'info', WHARF_REQUEST_LOG: process.env.WHARF_REQUEST_LOG } : {}) }) });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(proc, `${url}/-/ping`);
  return { name: 'Wharf', url, proc };
}

/** A temp dir for Verdaccio: its config, storage and htpasswd live there, and survive a restart. */
export function verdaccioDir(resources) {
  return resources.tempDir('verdaccio');
}

/**
 * Verdaccio with bench/registry/verdaccio.yaml. `cheapHashes` lowers bcrypt rounds to 4 for accounts
 * created while it runs: Verdaccio's htpasswd re-checks the password (bcryptjs) on every authenticated
 * request, so seeding thousands of versions as a default-cost user would take many minutes. The
 * measured publishes use an account created after a restart with the file as it is.
 */
export async function startVerdaccio(resources, dir, { cheapHashes = false } = {}) {
  const port = await freePort();
  const config = join(dir, 'config.yaml');
  let text = readFileSync(join(benchDir, 'verdaccio.yaml'), 'utf8');
  if (cheapHashes) {
    text = text.replace(/^( +)max_users: (\d+)$/m, '$1max_users: $2\n$1rounds: 4');
    if (!/^ +rounds: 4$/m.test(text)) throw new Error('verdaccio.yaml: no "max_users:" line under auth.htpasswd to add "rounds: 4" after');
  }
  writeFileSync(config, text);
  const bin = join(benchDir, 'node_modules/verdaccio/bin/verdaccio');
  const proc = resources.spawn('verdaccio', process.execPath, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], { cwd: dir, env: cleanEnv({}) });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(proc, `${url}/-/ping`);
  return { name: 'Verdaccio', url, proc };
}

const NGINX = '/usr/sbin/nginx';

/** Debian's nginx, installed on demand when we are root on a Debian-like system; null when unavailable. */
export async function ensureNginx() {
  if (existsSync(NGINX)) return NGINX;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log('nginx is missing: apt-get install -y nginx');
    await run('apt-get', ['install', '-y', 'nginx'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (existsSync(NGINX)) return NGINX;
  }
  return null;
}

/** nginx serving `files` (path → bytes) from a temp root, with its own config, pid and logs in a temp prefix. */
export async function startNginx(resources, binary, files, workers) {
  const prefix = resources.tempDir('nginx');
  const root = join(prefix, 'root');
  // Workers run as nobody when the master is root: they must be able to reach the files.
  chmodSync(prefix, 0o755);
  for (const [path, bytes] of files) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    writeFileSync(target, bytes, { mode: 0o644 });
  }
  const port = await freePort();
  const conf = readFileSync(join(benchDir, 'nginx.conf'), 'utf8')
    .replaceAll('@PREFIX@', prefix)
    .replaceAll('@ROOT@', root)
    .replaceAll('@PORT@', String(port))
    .replaceAll('@WORKERS@', String(workers));
  const confPath = join(prefix, 'nginx.conf');
  writeFileSync(confPath, conf);
  const proc = resources.spawn('nginx', binary, ['-p', prefix, '-c', confPath, '-e', join(prefix, 'error.log')]);
  const url = `http://127.0.0.1:${port}`;
  const [first] = files.keys();
  await waitUntilReady(proc, `${url}/${first}`);
  return { name: 'nginx', url, proc };
}
