import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startServer, type RunningServer } from './support/server.js';

const YARN1 = fileURLToPath(new URL('../../../node_modules/yarn/bin/yarn.js', import.meta.url));
const YARN4 = fileURLToPath(new URL('../../../node_modules/@yarnpkg/cli-dist/bin/yarn.js', import.meta.url));

interface Run {
  code: number;
  out: string;
}

// Yarn 1 and Yarn 4 as their users run them against a real `wharf serve`: install, publish with a tag, view.
describe('yarn 1 and yarn 4 against wharf serve', () => {
  let server: RunningServer;
  let work: string;
  let token: string;
  let env: NodeJS.ProcessEnv;

  const yarn = (bin: string, args: string[], cwd: string) =>
    new Promise<Run>((resolve) => {
      execFile(process.execPath, [bin, ...args], { cwd, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` }),
      );
    });

  async function pkg(dir: string, name: string, version: string): Promise<string> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version, main: 'index.js', license: 'MIT' }));
    await writeFile(join(dir, 'index.js'), `module.exports = ${JSON.stringify(version)};\n`);
    return dir;
  }

  beforeAll(async () => {
    server = await startServer();
    work = await mkdtemp(join(tmpdir(), 'wharf-yarn-'));
    token = await createUser(server.url, 'yarner');
    const home = join(work, 'home');
    await mkdir(home, { recursive: true });
    // A home of their own: neither the developer's yarn nor npm settings reach the test.
    env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_config_|yarn_)/i.test(k))),
      HOME: home,
      YARN_CACHE_FOLDER: join(work, 'yarn1-cache'),
      YARN_ENABLE_TELEMETRY: '0',
      YARN_ENABLE_GLOBAL_CACHE: '0',
      npm_config_userconfig: join(home, '.npmrc'),
    };
    const host = server.url.replace(/^http:/, '');
    await writeFile(join(home, '.npmrc'), `registry=${server.url}/\n${host}/:_authToken=${token}\n`);
    const published = await yarn(YARN1, ['publish', '--non-interactive', '--registry', `${server.url}/`], await pkg(join(work, 'src-1.0.0'), '@yarned/lib', '1.0.0'));
    expect(published.code, published.out).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('yarn 1: publishes with a tag, installs with integrity in yarn.lock, reads the tags', async () => {
    const next = await yarn(YARN1, ['publish', '--non-interactive', '--tag', 'next', '--registry', `${server.url}/`], await pkg(join(work, 'src-1.1.0'), '@yarned/lib', '1.1.0'));
    expect(next.code, next.out).toBe(0);
    const app = await pkg(join(work, 'app1'), 'app1', '1.0.0');
    const add = await yarn(YARN1, ['add', '@yarned/lib@next', '--registry', `${server.url}/`], app);
    expect(add.code, add.out).toBe(0);
    expect(await readFile(join(app, 'node_modules/@yarned/lib/index.js'), 'utf8')).toBe('module.exports = "1.1.0";\n');
    expect(await readFile(join(app, 'yarn.lock'), 'utf8')).toMatch(/integrity sha512-/);
    const info = await yarn(YARN1, ['info', '@yarned/lib', 'dist-tags', '--json', '--registry', `${server.url}/`], app);
    expect(JSON.parse(info.out.trim().split('\n').at(-1)!).data).toEqual({ latest: '1.0.0', next: '1.1.0' });
  });

  it('yarn 4: installs (with the age gate lifted for this registry), publishes with a tag, whoami', async () => {
    const app = await pkg(join(work, 'app4'), 'app4', '1.0.0');
    const rc = (gate: boolean) =>
      [
        `npmRegistryServer: "${server.url}"`,
        'unsafeHttpWhitelist: ["127.0.0.1"]',
        `npmAuthToken: "${token}"`,
        'nodeLinker: node-modules',
        'enableGlobalCache: false',
        // Yarn turns immutable installs on by itself when CI is set; these projects start with an empty lockfile.
        'enableImmutableInstalls: false',
        gate ? '' : 'npmMinimalAgeGate: 0',
      ].join('\n');
    await writeFile(join(app, 'yarn.lock'), '');
    await writeFile(join(app, '.yarnrc.yml'), rc(true));
    // Yarn 4's default one-day age gate hides every version of a fresh registry (see the README).
    const gated = await yarn(YARN4, ['add', '@yarned/lib@1.0.0'], app);
    expect(gated.code).not.toBe(0);
    await writeFile(join(app, '.yarnrc.yml'), rc(false));
    const add = await yarn(YARN4, ['add', '@yarned/lib@1.0.0'], app);
    expect(add.code, add.out).toBe(0);
    expect(await readFile(join(app, 'node_modules/@yarned/lib/index.js'), 'utf8')).toBe('module.exports = "1.0.0";\n');
    expect((await yarn(YARN4, ['npm', 'whoami'], app)).out).toContain('yarner');

    const src = await pkg(join(work, 'src-2.0.0'), '@yarned/lib', '2.0.0');
    await writeFile(join(src, '.yarnrc.yml'), rc(false));
    await writeFile(join(src, 'yarn.lock'), '');
    const install = await yarn(YARN4, ['install'], src);
    expect(install.code, install.out).toBe(0);
    const publish = await yarn(YARN4, ['npm', 'publish', '--tag', 'beta'], src);
    expect(publish.code, publish.out).toBe(0);
    const tags = (await (await fetch(`${server.url}/-/package/@yarned%2flib/dist-tags`)).json()) as Record<string, string>;
    expect(tags.beta).toBe('2.0.0');
  }, 180_000);
});
