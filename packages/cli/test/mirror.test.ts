import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { MemoryTrustedMetadataStore, TrustClient } from '@wharf/core';
import { CatalogManager } from '@wharf/sdk';
import { packDirectory, publishDocument } from '@wharf/tarball/node';
import { addUser, bearer, createTestWharf, type TestWharf } from '../../server/test/helpers.js';
import { publish } from '../../server/test/trust-helpers.js';
import { exportMirror } from '../src/mirror.js';
import { installCommand, verifyCommand } from '../src/trust-client.js';
import { WHARF_BIN } from './support/server.js';

const tmp = (p: string) => mkdtemp(join(tmpdir(), `wharf-mirror-${p}-`));

/** A plain static file server, as a Git host or bucket would be: no Wharf code at all. */
async function staticServer(dir: string): Promise<{ url: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    hits.push(path);
    try {
      const body = await readFile(join(dir, normalize(path)));
      res.writeHead(200, { 'content-type': path.endsWith('.json') ? 'application/json' : 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits };
}

describe('wharf mirror export', () => {
  let w: TestWharf;
  let registry: string;
  let token: string;
  let rootFile: string;
  let out: string;
  let mirror: Awaited<ReturnType<typeof staticServer>>;

  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    registry = await w.app.listen({ port: 0, host: '127.0.0.1' });
    token = await addUser(w, 'author');
    rootFile = join(await tmp('root'), 'root.json');
    await writeFile(rootFile, (await w.app.inject({ url: '/trust/1.root.json' })).body);
    for (const [name, version] of [['@m/notes', '1.0.0'], ['@m/notes', '1.1.0'], ['plain', '2.0.0']] as const) {
      expect((await publish(w, token, name, version)).statusCode).toBe(201);
    }
    out = await tmp('out');
    mirror = await staticServer(out);
  });
  afterAll(async () => {
    mirror.server.close();
    await w.destroy();
  });
  beforeEach(() => {
    vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    vi.spyOn(process.stderr, 'write').mockReturnValue(true);
  });
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('writes a mirror a plain static server can serve to verifying clients (SDK and CLI)', async () => {
    const report = await exportMirror({ registry, out, root: rootFile });
    expect(report.tarballs).toEqual({ written: 3, unchanged: 0, skippedRevoked: 0, skippedOld: 0 });
    const m = new CatalogManager({ baseUrl: `${mirror.url}/`, root: await readFile(rootFile, 'utf8') });
    await m.initialize();
    expect(m.status).toBe('ready');
    expect(m.getCatalog()!.plugins.map((p) => p.name)).toEqual(['@m/notes', 'plain']);
    const dir = await tmp('install');
    expect(await installCommand('@m/notes@^1', { registry: mirror.url, root: rootFile, dir, state: await tmp('state') })).toBe(true);
    expect(JSON.parse(await readFile(join(dir, '@m/notes/package.json'), 'utf8')).version).toBe('1.1.0');
    // Clients fetch the consistent-snapshot name; the npm name holds the same file for older ones.
    const fetched = mirror.hits.find((h) => h.endsWith('.notes-1.1.0.tgz'))!;
    expect(fetched).toMatch(/^\/@m\/notes\/-\/[0-9a-f]{128}\.notes-1\.1\.0\.tgz$/);
    expect(mirror.hits).not.toContain('/@m/notes/-/notes-1.1.0.tgz');
    expect((await readFile(join(out, fetched))).equals(await readFile(join(out, '@m/notes/-/notes-1.1.0.tgz')))).toBe(true);
  });

  it('is incremental: a second export writes only what is new, and restores a file tampered in the mirror', async () => {
    expect((await publish(w, token, '@m/notes', '1.2.0')).statusCode).toBe(201);
    const file = join(out, '@m/notes/-/notes-1.0.0.tgz');
    const good = await readFile(file);
    await writeFile(file, Buffer.concat([good.subarray(0, 10), Buffer.from('tampered'), good.subarray(18)]));
    // A client reading the tampered mirror refuses the file.
    expect(await verifyCommand('@m/notes@1.0.0', { registry: mirror.url, root: rootFile, state: await tmp('state') })).toBe(false);
    const report = await exportMirror({ registry, out, root: rootFile });
    expect(report.tarballs).toEqual({ written: 2, unchanged: 2, skippedRevoked: 0, skippedOld: 0 });
    expect((await readFile(file)).equals(good)).toBe(true);
    expect(await verifyCommand('@m/notes@1.2.0', { registry: mirror.url, root: rootFile, state: await tmp('state') })).toBe(true);
  });

  it('leaves revoked versions out, and clients of the mirror see the revocation', async () => {
    const revoke = await w.app.inject({ method: 'POST', url: '/trust/revocations', headers: bearer(token), payload: { name: '@m/notes', version: '1.2.0', reason: 'broken' } });
    expect(revoke.statusCode).toBe(201);
    const fresh = await tmp('fresh');
    const report = await exportMirror({ registry, out: fresh, root: rootFile, since: '2000-01-01T00:00:00Z' });
    expect(report.tarballs).toMatchObject({ written: 3, skippedRevoked: 1 });
    await exportMirror({ registry, out, root: rootFile });
    const m = new CatalogManager({ baseUrl: `${mirror.url}/`, root: await readFile(rootFile, 'utf8') });
    await m.initialize();
    expect(m.getPlugin('@m/notes')!.versions.find((v) => v.version === '1.2.0')!.revoked).toMatchObject({ reason: 'broken' });
    expect(await verifyCommand('@m/notes@1.2.0', { registry: mirror.url, root: rootFile, state: await tmp('state') })).toBe(false);
  });

  it('with --since, writes only tarballs published at or after that time, and refuses a time it cannot read', async () => {
    const cut = new Date(Date.now() + 5);
    await new Promise((r) => setTimeout(r, 10));
    expect((await publish(w, token, 'late', '1.0.0')).statusCode).toBe(201);
    const fresh = await tmp('since');
    const report = await exportMirror({ registry, out: fresh, root: rootFile, since: cut.toISOString() });
    // Five versions on the registry: 1.2.0 is revoked, three are older than the cut.
    expect(report.tarballs).toEqual({ written: 1, unchanged: 0, skippedRevoked: 1, skippedOld: 3 });
    await expect(readFile(join(fresh, 'late/-/late-1.0.0.tgz'))).resolves.toBeInstanceOf(Buffer);
    await expect(readFile(join(fresh, '@m/notes/-/notes-1.1.0.tgz'))).rejects.toThrow(/ENOENT/);
    await expect(exportMirror({ registry, out: fresh, root: rootFile, since: 'last tuesday' })).rejects.toThrow(/--since last tuesday is not a date/);
  });

  it('runs as `wharf mirror export`, and says why it failed with a non-zero exit', async () => {
    const run = promisify(execFile);
    const dest = await tmp('cli');
    const ok = await run(process.execPath, [WHARF_BIN, 'mirror', 'export', '--registry', registry, '--out', dest, '--root', rootFile]);
    expect(ok.stdout).toMatch(/tarballs 4 written, 0 unchanged, 1 revoked left out/);
    // Progress goes to stderr; not a terminal here, so a line per tenth, the last one the total.
    expect(ok.stderr.trim().split('\n').at(-1)).toBe('tarballs 5/5');
    // An --out it cannot write fails before any request (this registry does not even answer).
    const file = join(dest, 'catalog.json');
    const unwritable = await run(process.execPath, [WHARF_BIN, 'mirror', 'export', '--registry', 'http://127.0.0.1:9', '--out', join(file, 'sub')]).catch((e: { code: number; stderr: string }) => e);
    expect(unwritable).toMatchObject({ code: 1, stderr: `wharf: mirror export failed: cannot write to --out ${join(file, 'sub')}: ENOTDIR\n` });
    const bad = await run(process.execPath, [WHARF_BIN, 'mirror', 'export', '--registry', 'http://127.0.0.1:9', '--out', dest]).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toMatch(/^wharf: mirror export failed: /);
  });

  it('copies the signed deltas too, at the registry\'s path, where a client of the mirror verifies them', async () => {
    const asset = randomBytes(50_000);
    for (const [version, edit] of [['1.0.0', 'a'], ['1.0.1', 'b']] as const) {
      const dir = await tmp('pkg');
      const manifest = { name: 'with-deltas', version };
      await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
      await writeFile(join(dir, 'asset.bin'), Buffer.concat([asset, Buffer.from(edit)]));
      const put = await w.app.inject({ method: 'PUT', url: '/with-deltas', headers: bearer(token), payload: publishDocument(manifest, await packDirectory(dir)) });
      expect(put.statusCode, put.body).toBe(201);
    }
    await w.deltas.idle();
    const fresh = await tmp('deltas');
    const report = await exportMirror({ registry, out: fresh, root: rootFile });
    expect(report.deltas).toEqual({ written: 1, unchanged: 0 });
    expect((await exportMirror({ registry, out: fresh, root: rootFile })).deltas).toEqual({ written: 0, unchanged: 1 });
    const served = await staticServer(fresh);
    try {
      const store = new MemoryTrustedMetadataStore();
      await TrustClient.initialise(store, await readFile(rootFile, 'utf8'));
      const client = new TrustClient({ metadataUrl: `${served.url}/trust/`, targetsUrl: `${served.url}/`, fetch: (url) => fetch(url), store });
      await client.refresh();
      expect((await client.fetchDelta('with-deltas', '1.0.0', '1.0.1')).bytes.length).toBeGreaterThan(0);
      expect(served.hits).toContain('/-/deltas/with-deltas/1.0.0..1.0.1');
    } finally {
      served.server.close();
    }
  });
});
