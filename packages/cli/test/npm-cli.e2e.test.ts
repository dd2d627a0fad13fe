import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser, startServer, type RunningServer } from './support/server.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The stock npm CLI against a real server, command by command (package-managers.e2e runs one flow for every client). */
describe('the npm CLI against wharf serve', () => {
  let server: RunningServer;
  let work: string;
  let aliceRc: string;
  let bobRc: string;

  const run = (cmd: string, args: string[], cwd: string, opts: { rc?: string; cache?: string; input?: string } = {}) =>
    new Promise<Run>((resolve) => {
      const child = execFile(
        cmd,
        args,
        {
          cwd,
          env: {
            // npm passes its own npm_config_* to the scripts it runs (npm test): drop them, so only this test's config counts.
            ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_config_'))),
            npm_config_userconfig: opts.rc ?? aliceRc,
            npm_config_cache: opts.cache ?? join(work, 'npm-cache'),
            npm_config_registry: `${server.url}/`,
            npm_config_update_notifier: 'false',
            npm_config_audit: 'false',
            npm_config_fund: 'false',
          },
          timeout: 60_000,
        },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
      if (opts.input !== undefined) child.stdin!.end(opts.input);
    });
  const npm = (args: string[], cwd: string, opts?: { rc?: string; cache?: string; input?: string }) => run('npm', args, cwd, opts);

  async function pkgDir(name: string, version: string, body: string, extra: Record<string, unknown> = {}): Promise<string> {
    const dir = join(work, `${name.replace(/[@/]/g, '_')}-${version}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version, main: 'index.js', description: `${name} test package`, keywords: ['wharf-e2e'], ...extra }));
    await writeFile(join(dir, 'index.js'), `module.exports = ${JSON.stringify(body)};\n`);
    return dir;
  }

  async function appDir(name: string): Promise<string> {
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
    return dir;
  }

  beforeAll(async () => {
    server = await startServer();
    work = await mkdtemp(join(tmpdir(), 'wharf-npm-'));
    const host = server.url.replace(/^http:/, '');
    aliceRc = join(work, 'alice.npmrc');
    bobRc = join(work, 'bob.npmrc');
    await writeFile(aliceRc, `${host}/:_authToken=${await createUser(server.url, 'alice')}\n`);
    await writeFile(bobRc, `${host}/:_authToken=${await createUser(server.url, 'bob')}\n`);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('npm ping and npm whoami', async () => {
    expect((await npm(['ping'], work)).code).toBe(0);
    const who = await npm(['whoami'], work);
    expect(who.stdout.trim()).toBe('alice');
  });

  it('npm publish, scoped and unscoped, with --tag', async () => {
    const v1 = await npm(['publish'], await pkgDir('@demo/hello', '1.0.0', 'v1'));
    expect(v1.code, v1.stderr).toBe(0);
    const next = await npm(['publish', '--tag', 'next'], await pkgDir('@demo/hello', '1.1.0', 'v2'));
    expect(next.code, next.stderr).toBe(0);
    const plain = await npm(['publish'], await pkgDir('wharf-e2e-plain', '0.1.0', 'plain'));
    expect(plain.code, plain.stderr).toBe(0);
    const tags = await npm(['dist-tag', 'ls', '@demo/hello'], work);
    expect(tags.stdout).toContain('latest: 1.0.0');
    expect(tags.stdout).toContain('next: 1.1.0');
  });

  it('refuses to publish an existing version, and refuses another user, with clear messages', async () => {
    const again = await npm(['publish', '--tag', 'next'], await pkgDir('@demo/hello', '1.1.0', 'v2-again'));
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/409|previously published/);
    const stranger = await npm(['publish'], await pkgDir('@demo/hello', '1.2.0', 'bob'), { rc: bobRc });
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toMatch(/403|not an owner/);
  });

  it('npm view reads versions, tags and fields', async () => {
    const view = await npm(['view', '@demo/hello', '--json'], work);
    const doc = JSON.parse(view.stdout);
    expect(doc.versions).toEqual(['1.0.0', '1.1.0']);
    expect(doc['dist-tags']).toEqual({ latest: '1.0.0', next: '1.1.0' });
    expect((await npm(['view', '@demo/hello@next', 'version'], work)).stdout.trim()).toBe('1.1.0');
  });

  it('npm access lists packages, collaborators and status; settings Wharf cannot honour are refused with why', async () => {
    const mine = await npm(['access', 'list', 'packages'], work);
    expect(mine.code, mine.stderr).toBe(0);
    expect(mine.stdout).toBe('@demo/hello: read-write\nwharf-e2e-plain: read-write\n');
    expect((await npm(['access', 'list', 'packages', '@demo'], work)).stdout).toBe('@demo/hello: read-write\n');
    // Not a scope: npm asks /-/org/bob, gets 404, then /-/user/bob.
    const bobs = await npm(['access', 'list', 'packages', 'bob', '--json'], work);
    expect(bobs.code, bobs.stderr).toBe(0);
    expect(JSON.parse(bobs.stdout)).toEqual({});
    expect((await npm(['access', 'list', 'collaborators', '@demo/hello'], work)).stdout).toBe('alice: read-write\n');
    expect((await npm(['access', 'get', 'status', '@demo/hello'], work)).stdout).toBe('@demo/hello: public\n');
    expect((await npm(['access', 'get', 'status', '@demo/nothing'], work)).stderr).toMatch(/404.*package @demo\/nothing not found/);

    expect((await npm(['access', 'set', 'status=public', '@demo/hello'], work)).code).toBe(0);
    const restricted = await npm(['access', 'set', 'status=private', '@demo/hello'], work);
    expect(restricted.code).not.toBe(0);
    expect(restricted.stderr).toMatch(/400.*restricted access is not offered/);
    const mfa = await npm(['access', 'set', 'mfa=publish', '@demo/hello'], work);
    expect(mfa.code).not.toBe(0);
    expect(mfa.stderr).toContain('no two-factor authentication');
    const stranger = await npm(['access', 'set', 'status=public', '@demo/hello'], work, { rc: bobRc });
    expect(stranger.stderr).toMatch(/403.*not an owner of @demo\/hello/);
    const team = await npm(['access', 'grant', 'read-write', '@demo:devs', '@demo/hello'], work);
    expect(team.code).not.toBe(0);
    expect(team.stderr).toContain('teams are not offered by this registry');
  });

  it('npm install with a cold cache writes a lockfile with sha512 integrity, and the code runs', async () => {
    const app = await appDir('app-install');
    const res = await npm(['install', '@demo/hello@next'], app, { cache: join(work, 'cold-1') });
    expect(res.code, res.stderr).toBe(0);
    const lock = JSON.parse(await readFile(join(app, 'package-lock.json'), 'utf8'));
    const entry = lock.packages['node_modules/@demo/hello'];
    expect(entry.version).toBe('1.1.0');
    // npm 11 leaves `resolved` out when it is the configured registry's own URL.
    if (entry.resolved !== undefined) expect(entry.resolved).toBe(`${server.url}/@demo/hello/-/hello-1.1.0.tgz`);
    const served = await (await fetch(`${server.url}/@demo%2fhello`)).json();
    expect(entry.integrity).toBe(served.versions['1.1.0'].dist.integrity);
    expect(entry.integrity).toMatch(/^sha512-/);
    const out = await run(process.execPath, ['-e', 'process.stdout.write(require("@demo/hello"))'], app);
    expect(out.stdout).toBe('v2');
  });

  it('npm ci from the lockfile with another cold cache, and npm install --prefer-online', async () => {
    const app = join(work, 'app-install');
    await rm(join(app, 'node_modules'), { recursive: true });
    const ci = await npm(['ci'], app, { cache: join(work, 'cold-2') });
    expect(ci.code, ci.stderr).toBe(0);
    const online = await npm(['install', '--prefer-online', 'wharf-e2e-plain'], app, { cache: join(work, 'cold-2') });
    expect(online.code, online.stderr).toBe(0);
    const out = await run(process.execPath, ['-e', 'process.stdout.write(require("@demo/hello") + require("wharf-e2e-plain"))'], app);
    expect(out.stdout).toBe('v2plain');
  });

  it('npm dist-tag add and rm', async () => {
    expect((await npm(['dist-tag', 'add', '@demo/hello@1.0.0', 'stable'], work)).code).toBe(0);
    expect((await npm(['dist-tag', 'ls', '@demo/hello'], work)).stdout).toContain('stable: 1.0.0');
    expect((await npm(['dist-tag', 'rm', '@demo/hello', 'stable'], work)).code).toBe(0);
    expect((await npm(['dist-tag', 'ls', '@demo/hello'], work)).stdout).not.toContain('stable');
  });

  it('npm deprecate marks a version, and npm install warns about it', async () => {
    expect((await npm(['deprecate', '@demo/hello@1.0.0', 'use 1.1.0'], work)).code).toBe(0);
    expect((await npm(['view', '@demo/hello@1.0.0', 'deprecated'], work, { cache: join(work, 'cold-3') })).stdout.trim()).toBe('use 1.1.0');
    const app = await appDir('app-deprecated');
    const res = await npm(['install', '@demo/hello@1.0.0'], app, { cache: join(work, 'cold-3') });
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('deprecated');
  });

  it('npm search finds packages by name and keyword', async () => {
    const res = await npm(['search', 'hello', '--json'], work);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).map((p: { name: string }) => p.name)).toContain('@demo/hello');
    const byKeyword = JSON.parse((await npm(['search', 'wharf-e2e', '--json'], work)).stdout).map((p: { name: string }) => p.name);
    expect(byKeyword).toEqual(expect.arrayContaining(['@demo/hello', 'wharf-e2e-plain']));
  });

  it('npm token list, create and revoke', async () => {
    // npm prints `Token <prefix>… with id <id> name <name> created <date>`: every field filled.
    const human = await npm(['token', 'list'], work);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Token wharf_[\w-]{6}… with id \w+ name npm login created \d{4}-\d\d-\d\d$/m);
    expect(human.stdout).not.toMatch(/undefined|……|IP whitelist/);
    const created = await npm(['token', 'create', '--json'], work, { input: 'a-long-password-123\n' });
    expect(created.code, created.stderr).toBe(0);
    // npm prints its password prompt on stdout before the JSON.
    const token = JSON.parse(created.stdout.slice(created.stdout.indexOf('{')));
    expect(token.token).toMatch(/^wharf_/);
    // npm 11 prints each token's key as "***" and an `id` (the key's first characters) to revoke it by.
    const listed = () => npm(['token', 'list', '--json'], work).then((r) => JSON.parse(r.stdout) as { id: string; token: string }[]);
    // The list shows a masked prefix of each secret, never the secret itself.
    const mine = (await listed()).find((t) => token.token.startsWith(t.token.replace(/…$/, '')));
    expect(mine).toBeDefined();
    expect(JSON.stringify(await listed())).not.toContain(token.token);
    expect((await npm(['token', 'revoke', mine!.id], work)).code).toBe(0);
    expect((await listed()).map((t) => t.id)).not.toContain(mine!.id);
    const whoami = await fetch(`${server.url}/-/whoami`, { headers: { authorization: `Bearer ${token.token}` } });
    expect(whoami.status).toBe(401);
  });

  it('npm logout revokes the token it held, and only that one', async () => {
    const rc = join(work, 'logout.npmrc');
    const host = server.url.replace(/^http:/, '');
    const token = await createUser(server.url, 'leaver');
    const other = await createUser(server.url, 'leaver');
    await writeFile(rc, `${host}/:_authToken=${token}\n`);
    const out = await npm(['logout'], work, { rc });
    expect(out.code, out.stderr).toBe(0);
    // npm drops the line (and the file, left empty).
    expect(await readFile(rc, 'utf8').catch(() => '')).not.toContain(token);
    expect((await fetch(`${server.url}/-/whoami`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    expect((await fetch(`${server.url}/-/whoami`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(200);
    // Another user's token cannot be revoked by its value.
    const stranger = await fetch(`${server.url}/-/user/token/${encodeURIComponent(other)}`, { method: 'DELETE', headers: { authorization: `Bearer ${await createUser(server.url, 'someone-else')}` } });
    expect(stranger.status).toBe(404);
    expect((await fetch(`${server.url}/-/whoami`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(200);
  });

  it('npm unpublish of one version, then of the whole package', async () => {
    const one = await npm(['unpublish', '@demo/hello@1.0.0'], work);
    expect(one.code, one.stderr).toBe(0);
    const view = JSON.parse((await npm(['view', '@demo/hello', '--json'], work, { cache: join(work, 'cold-4') })).stdout);
    expect(view.versions).toEqual(['1.1.0']);
    const all = await npm(['unpublish', 'wharf-e2e-plain', '--force'], work);
    expect(all.code, all.stderr).toBe(0);
    expect((await fetch(`${server.url}/wharf-e2e-plain`)).status).toBe(404);
  });
});
