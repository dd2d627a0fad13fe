import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedClients } from './support/clients.js';
import { createUser, startServer, type RunningServer } from './support/server.js';

const ADMIN = 'pm-e2e-admin-token-0123456789';
const SAMPLE = '@cartae/plugin-hello';
const ADVISORY = 'Prototype pollution in the hello sample';
const PASSWORD = 'a-long-password-for-prompts';

interface Run {
  code: number;
  out: string;
}

/** One package manager as its users drive it; a step it does not offer is left out (and listed in the README). */
interface Client {
  name: string;
  /** The command line before the client's own arguments. */
  argv: string[];
  /** The client's own environment settings (update checks and telemetry off). */
  env?: (home: string) => Record<string, string>;
  /** Settings a project needs beyond the user's ~/.npmrc (Yarn 4 reads neither .npmrc nor npm's env). */
  projectFiles?: (registry: string, token: string | null, ageGate?: boolean) => Record<string, string>;
  /** Logs in at the client's username and password prompts and saves a token for the registry. */
  login?: string[];
  publish?: (tag: string | null) => string[];
  /** `ageGate`: keep the client's default minimum release age (a day), which the suite otherwise lifts. */
  add: (specs: string[], ageGate?: boolean) => string[];
  /** The client refuses versions younger than a day unless told otherwise (see the README). */
  ageGate?: boolean;
  distTags?: { args: (pkg: string) => string[]; parse: (out: string) => unknown };
  whoami?: string[];
  audit?: string[];
  lockfile?: { file: string; integrity: RegExp };
}

/**
 * Runs a command on a terminal (util-linux `script`): login prompts read from a TTY. Each answer is
 * typed once its prompt has appeared, in order.
 */
function atPrompts(argv: string[], cwd: string, env: NodeJS.ProcessEnv, answers: [RegExp, string][]): Promise<Run> {
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', quoted, '/dev/null'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let seen = 0;
    const timer = setTimeout(() => child.kill(), 60_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      // Prompts are drawn with colours and cursor moves: compare the text alone.
      const text = out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      const next = answers[0];
      if (next && next[0].test(text.slice(seen))) {
        answers.shift();
        seen = text.length;
        child.stdin.write(`${next[1]}\r`);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      child.stdin.end();
      resolve({ code: code ?? 1, out });
    });
  });
}

const node = (path: string) => [process.execPath, fileURLToPath(new URL(`../../../node_modules/${path}`, import.meta.url))];
const lastJsonLine = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!) as unknown;

async function clients(): Promise<{ clients: Client[]; missing: string[] }> {
  const { bun, deno } = await cachedClients();
  const list: Client[] = [
    {
      name: 'npm',
      argv: ['npm'],
      // Wharf has no web login: npm falls back to its username and password prompts.
      login: ['login'],
      publish: (tag) => ['publish', ...(tag ? ['--tag', tag] : [])],
      add: (specs) => ['install', '--no-audit', ...specs],
      distTags: { args: (pkg) => ['view', pkg, 'dist-tags', '--json'], parse: JSON.parse },
      whoami: ['whoami'],
      audit: ['audit'],
      lockfile: { file: 'package-lock.json', integrity: /"integrity": "sha512-/ },
    },
    {
      name: 'pnpm',
      argv: node('pnpm/bin/pnpm.cjs'),
      login: ['login'],
      publish: (tag) => ['publish', '--no-git-checks', ...(tag ? ['--tag', tag] : [])],
      add: (specs) => ['add', ...specs],
      distTags: { args: (pkg) => ['view', pkg, 'dist-tags', '--json'], parse: JSON.parse },
      whoami: ['whoami'],
      audit: ['audit'],
      lockfile: { file: 'pnpm-lock.yaml', integrity: /integrity: sha512-/ },
    },
    {
      name: 'yarn1',
      argv: node('yarn/bin/yarn.js'),
      env: (home) => ({ YARN_DISABLE_SELF_UPDATE_CHECK: 'true', YARN_CACHE_FOLDER: join(home, 'yarn-cache') }),
      publish: (tag) => ['publish', '--non-interactive', ...(tag ? ['--tag', tag] : [])],
      add: (specs) => ['add', ...specs],
      distTags: { args: (pkg) => ['info', pkg, 'dist-tags', '--json'], parse: (out) => (lastJsonLine(out) as { data: unknown }).data },
      // No whoami; `yarn audit` posts the dependency tree to the public registry whatever is configured: never run.
      lockfile: { file: 'yarn.lock', integrity: /integrity sha512-/ },
    },
    {
      name: 'yarn4',
      argv: node('@yarnpkg/cli-dist/bin/yarn.js'),
      env: () => ({ YARN_ENABLE_TELEMETRY: '0' }),
      ageGate: true,
      projectFiles: (registry, token, ageGate = false) => ({
        '.yarnrc.yml': [
          `npmRegistryServer: "${registry}"`,
          'unsafeHttpWhitelist: ["127.0.0.1"]',
          ...(token ? [`npmAuthToken: "${token}"`] : []),
          'nodeLinker: node-modules',
          'enableGlobalCache: false',
          'enableTelemetry: false',
          // Yarn turns immutable installs on by itself under CI; these projects start with no lockfile.
          'enableImmutableInstalls: false',
          ...(ageGate ? [] : ['npmMinimalAgeGate: 0']),
        ].join('\n'),
        'yarn.lock': '',
      }),
      login: ['npm', 'login'],
      publish: (tag) => ['npm', 'publish', ...(tag ? ['--tag', tag] : [])],
      add: (specs) => ['add', ...specs],
      distTags: { args: (pkg) => ['npm', 'info', pkg, '--fields', 'dist-tags', '--json'], parse: (out) => (JSON.parse(out) as { 'dist-tags': unknown })['dist-tags'] },
      whoami: ['npm', 'whoami'],
      audit: ['npm', 'audit'],
    },
  ];
  const missing: string[] = [];
  if ('bin' in bun) {
    list.push({
      name: 'bun',
      argv: [bun.bin],
      publish: (tag) => ['publish', ...(tag ? ['--tag', tag] : [])],
      add: (specs) => ['add', ...specs],
      distTags: { args: (pkg) => ['info', pkg, 'dist-tags'], parse: JSON.parse },
      whoami: ['pm', 'whoami'],
      audit: ['audit'],
      lockfile: { file: 'bun.lock', integrity: /"sha512-/ },
    });
  } else missing.push(bun.missing);
  if ('bin' in deno) {
    list.push({
      name: 'deno',
      argv: [deno.bin],
      // Deno reads the project's .npmrc; it publishes to JSR only, and has neither whoami nor a tag reader.
      projectFiles: (registry, token) => ({ '.npmrc': `registry=${registry}/\n${token ? `${registry.replace(/^http:/, '')}/:_authToken=${token}\n` : ''}` }),
      ageGate: true,
      add: (specs, ageGate = false) => ['add', ...(ageGate ? [] : ['--min-dep-age=0']), ...specs.map((s) => `npm:${s}`)],
      audit: ['audit'],
      lockfile: { file: 'deno.lock', integrity: /"integrity": "/ },
    });
  } else missing.push(deno.missing);
  return { clients: list, missing };
}

const found = await clients();
for (const reason of found.missing) console.warn(`package-manager suite: skipped, ${reason}`);

// The same flow for every client against one fresh `wharf serve --samples`: log in (a token in the
// client's config), publish a scoped package and a `next` version, whoami, install it with a sample
// plugin in a fresh project, install @next, read the dist-tags, audit. No client may reach any host
// but 127.0.0.1: update checks and telemetry are off, and yarn 1's audit is never run.
describe('package managers against wharf serve', () => {
  let server: RunningServer;
  let work: string;

  beforeAll(async () => {
    server = await startServer({ args: ['--samples'], env: { WHARF_ADMIN_TOKEN: ADMIN } });
    work = await mkdtemp(join(tmpdir(), 'wharf-pm-'));
    const advisory = {
      schema_version: '1.6.0',
      id: 'GHSA-e2e0-0000-0001',
      modified: '2026-01-10T12:00:00Z',
      published: '2026-01-09T12:00:00Z',
      summary: ADVISORY,
      details: 'Every version of the sample is affected, for the test.',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      affected: [{ package: { ecosystem: 'npm', name: SAMPLE }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '99.0.0' }] }] }],
      references: [{ type: 'ADVISORY', url: 'https://example.test/GHSA-e2e0-0000-0001' }],
    };
    const res = await fetch(`${server.url}/api/v1/advisories`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(advisory) });
    expect(res.status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe.each(found.clients)('$name', (client) => {
    const user = `pm-${client.name}`;
    const pkg = `@${client.name}-e2e/lib`;
    let token: string;
    let dir: (name: string) => string;
    let env: NodeJS.ProcessEnv;

    const run = (args: string[], cwd: string, withEnv = env) =>
      new Promise<Run>((resolve) => {
        execFile(client.argv[0]!, [...client.argv.slice(1), ...args], { cwd, env: withEnv, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` }),
        );
      });

    /** A project folder with the client's own settings in it. */
    async function project(name: string, manifest: Record<string, unknown>, files: Record<string, string> = {}, ageGate = false, withToken = true): Promise<string> {
      const path = dir(name);
      await mkdir(path, { recursive: true });
      await writeFile(join(path, 'package.json'), JSON.stringify(manifest));
      for (const [file, text] of Object.entries({ ...client.projectFiles?.(server.url, withToken ? token : null, ageGate), ...files })) await writeFile(join(path, file), text);
      return path;
    }

    const source = (version: string) =>
      project(`src-${version}`, { name: pkg, version, main: 'index.js', license: 'MIT' }, { 'index.js': `module.exports = ${JSON.stringify(version)};\n` });

    /** The environment of a user whose home is `home`: nothing of the developer's reaches the client. */
    const userEnv = (home: string): NodeJS.ProcessEnv => ({
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_config_|yarn_)/i.test(k))),
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        XDG_CACHE_HOME: join(home, '.cache'),
        XDG_DATA_HOME: join(home, '.local/share'),
        npm_config_userconfig: join(home, '.npmrc'),
        npm_config_update_notifier: 'false',
        npm_config_fund: 'false',
        BUN_INSTALL_CACHE_DIR: join(home, 'bun-cache'),
        DO_NOT_TRACK: '1',
        DENO_DIR: join(home, 'deno'),
        DENO_NO_UPDATE_CHECK: '1',
        NO_COLOR: '1',
        FORCE_COLOR: '0',
        ...client.env?.(home),
    });

    beforeAll(async () => {
      token = await createUser(server.url, user, PASSWORD);
      dir = (name) => join(work, client.name, name);
      const home = dir('home');
      await mkdir(home, { recursive: true });
      await writeFile(join(home, '.npmrc'), `registry=${server.url}/\n${server.url.replace(/^http:/, '')}/:_authToken=${token}\n`);
      env = userEnv(home);
    }, 60_000);

    it.skipIf(!client.login)('logs in at its username and password prompts; the token it saves works', async () => {
      const home = dir('login-home');
      await mkdir(home, { recursive: true });
      await writeFile(join(home, '.npmrc'), `registry=${server.url}/\n`);
      const cwd = await project('login', { name: 'login', version: '1.0.0', private: true }, {}, false, false);
      const login = await atPrompts([...client.argv, ...client.login!], cwd, userEnv(home), [
        [/Username:/, user],
        [/Password:/, PASSWORD],
      ]);
      expect(login.code, login.out).toBe(0);
      const whoami = await run(client.whoami!, cwd, userEnv(home));
      expect(whoami.out).toContain(user);
    });

    it.skipIf(!client.publish)('publishes a scoped package, then a newer version under the next tag', async () => {
      for (const [version, tag] of [['1.0.0', null], ['1.1.0', 'next']] as const) {
        const src = await source(version);
        // Yarn 4 publishes from an installed project.
        if (client.name === 'yarn4') expect((await run(['install'], src)).code).toBe(0);
        const published = await run(client.publish!(tag), src);
        expect(published.code, published.out).toBe(0);
      }
      const tags = (await (await fetch(`${server.url}/-/package/${pkg.replace('/', '%2f')}/dist-tags`)).json()) as Record<string, string>;
      expect(tags).toEqual({ latest: '1.0.0', next: '1.1.0' });
    });

    it.skipIf(!client.whoami)('whoami names the user its token belongs to', async () => {
      const whoami = await run(client.whoami!, await project('whoami', { name: 'whoami', version: '1.0.0', private: true }));
      expect(whoami.code, whoami.out).toBe(0);
      expect(whoami.out).toContain(user);
    });

    it('installs the package and a sample plugin in a fresh project, then @next', async () => {
      if (!client.publish) {
        // Deno publishes to JSR only: its package comes from npm, as a team of mixed tools would do.
        for (const [version, tag] of [['1.0.0', null], ['1.1.0', 'next']] as const) {
          const cwd = await source(version);
          const published = await new Promise<Run>((resolve) =>
            execFile('npm', ['publish', ...(tag ? ['--tag', tag] : [])], { cwd, env }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: `${stdout}${stderr}` })),
          );
          expect(published.code, published.out).toBe(0);
        }
      }
      const app = await project('app', { name: 'app', version: '1.0.0', private: true });
      const add = await run(client.add([pkg, SAMPLE]), app);
      expect(add.code, add.out).toBe(0);
      expect(await readFile(join(app, 'node_modules', pkg, 'index.js'), 'utf8')).toBe('module.exports = "1.0.0";\n');
      expect(JSON.parse(await readFile(join(app, 'node_modules', SAMPLE, 'package.json'), 'utf8'))).toMatchObject({ name: SAMPLE });
      if (client.lockfile) expect(await readFile(join(app, client.lockfile.file), 'utf8')).toMatch(client.lockfile.integrity);

      const next = await run(client.add([`${pkg}@next`]), app);
      expect(next.code, next.out).toBe(0);
      expect(await readFile(join(app, 'node_modules', pkg, 'index.js'), 'utf8')).toBe('module.exports = "1.1.0";\n');
    });

    it.skipIf(!client.ageGate)('with its default age gate, refuses a version published minutes ago (the README says how to lift it)', async () => {
      const gated = await project('gated', { name: 'gated', version: '1.0.0', private: true }, {}, true);
      const add = await run(client.add([`${pkg}@1.0.0`], true), gated);
      expect(add.code, add.out).not.toBe(0);
      // Yarn says "quarantined", Deno "minimum dependency age".
      expect(add.out).toMatch(/quarantined|minimum dependency age/i);
    });

    it.skipIf(!client.distTags)('reads the dist-tags', async () => {
      const read = await run(client.distTags!.args(pkg), dir('app'));
      expect(read.code, read.out).toBe(0);
      expect(client.distTags!.parse(read.out)).toEqual({ latest: '1.0.0', next: '1.1.0' });
    });

    it.skipIf(!client.audit)('audit reports the advisory imported for the sample plugin', async () => {
      const audit = await run(client.audit!, dir('app'));
      expect(audit.out).toContain(ADVISORY);
      expect(audit.code, 'a finding fails the command, as CI jobs rely on').not.toBe(0);
    });
  });
});
