import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consistentTargetPath, parseEnvelope, targetEntry, targetPath } from '@wharf/core';
import { ADMIN_TOKEN, addUser, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';
import { hostileMirror, type HostileMirror } from '../../server/test/trust-helpers.js';
import { currentRoot, roleKeys } from '../../server/test/trust-forge.js';
import { draftRoot, keysGenerate, keysRegister, publishCommand, pushRoot, revokeCommand, setPolicy, signRoot } from '../src/trust-commands.js';
import { installCommand, verifyCommand } from '../src/trust-client.js';
import { tufClientMain } from '../src/tuf-client-cli.js';

const tmp = (p: string) => mkdtemp(join(tmpdir(), `wharf-cli-trust-${p}-`));

async function pluginDir(name: string, version: string): Promise<string> {
  const dir = await tmp('src');
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version, description: 'trust cli test' }));
  await writeFile(join(dir, 'index.js'), `export default ${JSON.stringify(version)};\n`);
  return dir;
}

describeEachBackend('wharf keys/publish/verify/install/revoke/trust', (backend) => {
  let w: TestWharf;
  let url: string;
  let token: string;
  let keyFile: string;
  let rootFile: string;
  let mirror: HostileMirror;
  let stderr: ReturnType<typeof vi.spyOn>;
  const state = () => tmp('state');

  beforeAll(async () => {
    w = await createTestWharf(backend);
    url = await w.app.listen({ port: 0, host: '127.0.0.1' });
    token = await addUser(w, 'clipub');
    mirror = await hostileMirror(url);
    rootFile = join(await tmp('root'), 'root.json');
    await writeFile(rootFile, (await w.app.inject({ url: '/trust/1.root.json' })).body);
  });
  afterAll(async () => {
    await mirror.close();
    await w.destroy();
  });
  beforeEach(() => {
    vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    stderr = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    mirror.reset();
  });
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });
  const lastError = () => String(stderr.mock.calls.at(-1)?.[0] ?? '');

  it('keys generate writes a 0600 key file and never overwrites; keys register sends only the public key', async () => {
    keyFile = join(await tmp('key'), 'me.json');
    const pair = await keysGenerate({ out: keyFile });
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    await expect(keysGenerate({ out: keyFile })).rejects.toThrow(/EEXIST/);
    expect(await keysRegister({ registry: url, token, key: keyFile })).toBe(pair.keyid);
    const listed = await w.app.inject({ url: '/trust/keys', headers: { authorization: `Bearer ${token}` } });
    expect(listed.body).not.toContain(pair.keyval.private);
  });

  it('publish --key signs; verify and install check everything and exit 0', async () => {
    await publishCommand(await pluginDir('@cli/good', '1.0.0'), { registry: url, token, key: keyFile });
    expect(await verifyCommand('@cli/good@1.0.0', { registry: url, root: rootFile, state: await state() })).toBe(true);
    expect(process.exitCode).toBeUndefined();
    const dir = await tmp('install');
    expect(await installCommand('@cli/good@^1', { registry: url, root: rootFile, state: await state(), dir })).toBe(true);
    expect(await readFile(join(dir, '@cli/good/index.js'), 'utf8')).toBe('export default "1.0.0";\n');
    expect(JSON.parse(await readFile(join(dir, '.wharf-installed.json'), 'utf8'))).toEqual({ '@cli/good': '1.0.0' });
  });

  it('a required signature policy refuses an unsigned publish with the server message', async () => {
    await setPolicy('@strict', { registry: url, token: ADMIN_TOKEN, requireSignature: true });
    await expect(publishCommand(await pluginDir('@strict/x', '1.0.0'), { registry: url, token })).rejects.toThrow(/422 scope @strict requires signed publishes/);
    await publishCommand(await pluginDir('@strict/x', '1.0.0'), { registry: url, token, key: keyFile });
  });

  it('a tampered byte on disk, in metadata or on a mirror fails verify/install with the check named', async () => {
    await publishCommand(await pluginDir('@cli/disk', '1.0.0'), { registry: url, token, key: keyFile });
    const root = parseEnvelope('targets', (await w.app.inject({ url: '/trust/targets.json' })).body).signed;
    const sha512 = targetEntry(root, targetPath('@cli/disk', '1.0.0'))!.hashes.sha512!;
    const blob = join(w.dataDir, 'blobs', sha512.slice(0, 2), sha512.slice(2, 4), sha512);
    const bytes = await readFile(blob);
    bytes[bytes.length - 2]! ^= 0x10;
    await writeFile(blob, bytes);
    expect(await verifyCommand('@cli/disk@1.0.0', { registry: url, root: rootFile, state: await state() })).toBe(false);
    expect(process.exitCode).toBe(1);
    // The origin checks its blobs on read: a corrupt one is answered 500, never sent.
    expect(lastError()).toMatch(/verification failed \[fetch-failed\]: @cli\/disk\/-\/disk-1\.0\.0\.tgz: HTTP 500/);

    const t = parseEnvelope('targets', (await w.app.inject({ url: '/trust/targets.json' })).body).signed;
    mirror.override(`/trust/${t.version}.targets.json`, (honest) => honest.toString().replace('"1.0.0"', '"1.0.9"'));
    expect(await verifyCommand('@cli/good@1.0.0', { registry: mirror.url, root: rootFile, state: await state() })).toBe(false);
    expect(lastError()).toMatch(/\[hash-mismatch\].*targets/);

    mirror.reset();
    // Where clients fetch a target under consistent snapshots: its sha512-prefixed name.
    mirror.override(`/${servedName(t, targetPath('@cli/good', '1.0.0'))}`, (honest) => {
      const b = Buffer.from(honest);
      b[20]! ^= 0x01;
      return b;
    });
    const dir = await tmp('install-bad');
    expect(await installCommand('@cli/good@1.0.0', { registry: mirror.url, root: rootFile, state: await state(), dir })).toBe(false);
    expect(lastError()).toMatch(/\[hash-mismatch\]/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('revoke: verify refuses, install skips it and reports an installed revoked copy', async () => {
    const dir = await tmp('install-revoked');
    const st = await state();
    expect(await installCommand('@cli/good@1.0.0', { registry: url, root: rootFile, state: st, dir })).toBe(true);
    await revokeCommand('@cli/good@1.0.0', { registry: url, token, reason: 'compromised build' });
    expect(await verifyCommand('@cli/good@1.0.0', { registry: url, root: rootFile, state: st })).toBe(false);
    expect(lastError()).toMatch(/\[revoked\].*compromised build/);
    await expect(installCommand('@cli/good@^1', { registry: url, root: rootFile, state: st, dir })).rejects.toThrow(/no installable version.*revoked: 1\.0\.0/);
    process.exitCode = undefined;
    expect(await installCommand('@strict/x', { registry: url, root: rootFile, state: st, dir })).toBe(false);
    expect(lastError()).toMatch(/installed @cli\/good@1\.0\.0 was revoked: compromised build/);
    expect(process.exitCode).toBe(1);
  });

  it('trust draft-root, sign-root (offline) and push-root rotate the root key; old clients follow the chain', async () => {
    const [oldRootKey] = await roleKeys(w, await currentRoot(w), 'root');
    const oldKeyFile = join(await tmp('oldroot'), 'root.json');
    await writeFile(oldKeyFile, JSON.stringify(oldRootKey));
    const newKeyFile = join(await tmp('newroot'), 'root2.json');
    const newKey = await keysGenerate({ out: newKeyFile });
    const draft = join(await tmp('draft'), 'root-v2.json');
    await draftRoot({ registry: url, out: draft, add: [`root=${newKeyFile}`], remove: [`root=${oldRootKey!.keyid}`] });
    await signRoot(draft, { key: newKeyFile });
    await expect(pushRoot(draft, { registry: url, token: ADMIN_TOKEN })).rejects.toThrow(/root v1's keys/);
    await signRoot(draft, { key: oldKeyFile });
    expect(await pushRoot(draft, { registry: url, token: ADMIN_TOKEN })).toBe(2);
    expect((await currentRoot(w)).roles.root.keyids).toEqual([newKey.keyid]);
    expect(await verifyCommand('@strict/x@1.0.0', { registry: url, root: rootFile, state: await state() })).toBe(true);
  });

  it('the tuf-conformance client entrypoint: init, refresh, download (exit 0), a tampered target (exit 1 via throw)', async () => {
    const metadataDir = await tmp('conf-meta');
    const targetDir = await tmp('conf-targets');
    expect(await tufClientMain(['--metadata-dir', metadataDir, 'init', rootFile])).toBe(0);
    const base = ['--metadata-dir', metadataDir, '--metadata-url', `${mirror.url}/trust`];
    expect(await tufClientMain([...base, 'refresh'])).toBe(0);
    expect((await readdir(metadataDir)).sort()).toEqual(['root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    const name = targetPath('@strict/x', '1.0.0');
    expect(await tufClientMain([...base, '--target-name', name, '--target-base-url', mirror.url, '--target-dir', targetDir, 'download'])).toBe(0);
    expect((await readdir(targetDir))).toEqual([encodeURIComponent(name)]);
    const signed = parseEnvelope('targets', (await w.app.inject({ url: '/trust/targets.json' })).body).signed;
    mirror.override(`/${servedName(signed, name)}`, (honest) => Buffer.concat([honest.subarray(0, -1), Buffer.from([honest.at(-1)! ^ 1])]));
    await expect(tufClientMain([...base, '--target-name', name, '--target-base-url', mirror.url, '--target-dir', targetDir, 'download'])).rejects.toMatchObject({ code: 'hash-mismatch' });
  });
});

const servedName = (targets: { targets: Record<string, unknown> }, path: string) => consistentTargetPath(path, (targets.targets[path] as { hashes: Record<string, string> }).hashes)!;
