#!/usr/bin/env node
// Runs before `npm test` (the `pretest` script): the suites need a real Chromium, a real nginx with the
// cache-purge module and a PostgreSQL server. A fresh Debian machine has PostgreSQL but not the first
// two, so as root with apt-get they are installed here (saying so); otherwise the run stops at once with
// one line saying what to install, rather than with a stack of uncaught errors deep inside the suites.
//
//   node scripts/test-prerequisites.mjs [--check]     --check: report only, never install
//
// WHARF_PREREQ_ROOT re-roots the file checks (the script's own test points it at an empty folder).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

const root = process.env.WHARF_PREREQ_ROOT ?? '/';

/** What the suites run, the file that proves it is there, and the Debian packages that provide it. */
const REQUIREMENTS = [
  { what: 'Chromium (browser tests)', file: '/usr/bin/chromium', packages: ['chromium'] },
  { what: 'nginx (CDN test)', file: '/usr/sbin/nginx', packages: ['nginx-light'] },
  { what: "nginx's cache purge module (CDN test)", file: '/usr/lib/nginx/modules/ngx_http_cache_purge_module.so', packages: ['libnginx-mod-http-cache-purge'] },
];

function missingRequirements() {
  return REQUIREMENTS.filter((r) => !existsSync(join(root, r.file)));
}

function postgresReachable(host = '127.0.0.1', port = 5432) {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

function canInstall() {
  return process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0;
  return run(['update', '-qq']) && run(['install', '-y', '-qq', '--no-install-recommends', ...packages]);
}

async function main() {
  const checkOnly = process.argv.includes('--check');
  let missing = missingRequirements();
  if (missing.length > 0 && !checkOnly && canInstall()) {
    const packages = [...new Set(missing.flatMap((r) => r.packages))];
    console.log(`npm test: installing the Debian packages the tests need: ${packages.join(' ')} (${missing.map((r) => r.what).join(', ')})`);
    aptInstall(packages);
    missing = missingRequirements();
  }
  const problems = [];
  if (missing.length > 0) {
    const packages = [...new Set(missing.flatMap((r) => r.packages))];
    problems.push(`missing ${missing.map((r) => r.what).join(', ')}: install them with \`sudo apt-get install -y --no-install-recommends ${packages.join(' ')}\``);
  }
  if (!(await postgresReachable())) {
    problems.push('PostgreSQL is not reachable on 127.0.0.1:5432 (trust auth): start it, e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`');
  }
  if (problems.length > 0) {
    console.error(`npm test cannot run: ${problems.join('; ')}`);
    process.exit(1);
  }
}

await main();
