import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyDelta } from '@wharf/delta';
import { packDirectory, publishDocument, readTarball, tarballFileHashes } from '@wharf/tarball/node';
import { addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { listen, pinnedClient } from './trust-helpers.js';

const NAME = '@d/plugin';

describeEachBackend('deltas between versions', (backend) => {
  let w: TestWharf;
  let token: string;
  const tarballs = new Map<string, Buffer>();
  const asset = randomBytes(60_000);

  async function publish(version: string, files: Record<string, string | Buffer>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-delta-'));
    const manifest = { name: NAME, version, main: 'index.js' };
    await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
    for (const [path, body] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), body);
    }
    const tarball = await packDirectory(dir);
    await rm(dir, { recursive: true, force: true });
    tarballs.set(version, tarball);
    const res = await w.app.inject({ method: 'PUT', url: `/${NAME.replace('/', '%2f')}`, headers: bearer(token), payload: publishDocument(manifest, tarball) });
    expect(res.statusCode, res.body).toBe(201);
  }

  const filesOf = async (version: string) => new Map((await readTarball(tarballs.get(version)!, { mode: 'install', keep: () => true })).files.map((f) => [f.path, f.bytes!]));
  const edited = (n: number) => Buffer.concat([asset.subarray(0, 1000 * n), Buffer.from(`edit ${n}`), asset.subarray(1000 * n + 6)]);

  beforeAll(async () => {
    w = await createTestWharf(backend);
    token = await addUser(w, 'delta-author');
    await publish('1.0.0', { 'index.js': 'export const v = 1;\n', 'assets/blob.bin': asset });
    for (let n = 1; n <= 4; n++) await publish(`1.0.${n}`, { 'index.js': `export const v = ${n + 1};\n`, 'assets/blob.bin': edited(n) });
    await w.deltas.idle();
  });
  afterAll(() => w.destroy());

  it('serves a delta to each version from the three before it, immutable, that turns the old files into the new ones', async () => {
    const res = await w.app.inject({ url: `/-/deltas/${NAME}/1.0.3..1.0.4` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    const delta = res.rawPayload;
    expect(delta.length).toBeLessThan(0.6 * tarballs.get('1.0.4')!.length);
    const out = await applyDelta(delta, await filesOf('1.0.3'), { name: NAME, from: '1.0.3', to: '1.0.4', files: await tarballFileHashes(tarballs.get('1.0.4')!) });
    expect(Buffer.from(out.get('assets/blob.bin')!).equals(edited(4))).toBe(true);

    for (const from of ['1.0.1', '1.0.2']) expect((await w.app.inject({ url: `/-/deltas/${NAME}/${from}..1.0.4` })).statusCode).toBe(200);
    // Four versions back is beyond the default of three (and no channel points there).
    expect((await w.app.inject({ url: `/-/deltas/${NAME}/1.0.0..1.0.4` })).json()).toEqual({ error: `no delta of ${NAME} from 1.0.0 to 1.0.4: download the full package` });
  });

  it('lists each offered delta, with its length and sha256, in the signed target of the version it leads to', async () => {
    const targets = (await w.app.inject({ url: '/trust/targets.json' })).json() as { signed: { targets: Record<string, { custom: { wharf: { deltas?: Record<string, { length: number; sha256: string }> } } }> } };
    const target = Object.entries(targets.signed.targets).find(([path]) => path.includes('plugin-1.0.4'))![1];
    const delta = (await w.app.inject({ url: `/-/deltas/${NAME}/1.0.3..1.0.4` })).rawPayload;
    expect(target.custom.wharf.deltas).toEqual({
      '1.0.1': expect.objectContaining({ length: expect.any(Number) }),
      '1.0.2': expect.objectContaining({ length: expect.any(Number) }),
      '1.0.3': { length: delta.length, sha256: createHash('sha256').update(delta).digest('hex') },
    });
  });

  it('lets a pinned TUF client download a delta it can verify, and refuse one changed on the way', async () => {
    const base = await listen(w);
    let tamper = false;
    const fetch: typeof globalThis.fetch = async (url, init) => {
      const res = await globalThis.fetch(url, init);
      if (!tamper || !String(url).includes('/-/deltas/')) return res;
      const bytes = Buffer.from(await res.arrayBuffer());
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
      return new Response(bytes, { status: res.status, headers: res.headers });
    };
    const { client } = await pinnedClient(base, fetch);
    await client.refresh();
    const got = await client.fetchDelta(NAME, '1.0.3', '1.0.4');
    const out = await applyDelta(got.bytes, await filesOf('1.0.3'), { name: NAME, from: '1.0.3', to: '1.0.4', files: got.files });
    expect(Buffer.from(out.get('assets/blob.bin')!).equals(edited(4))).toBe(true);
    tamper = true;
    await expect(client.fetchDelta(NAME, '1.0.3', '1.0.4')).rejects.toMatchObject({ code: 'hash-mismatch' });
    await expect(client.fetchDelta(NAME, '1.0.0', '1.0.4')).rejects.toMatchObject({ code: 'unknown-target' });
  });

  it('offers none when the delta is not under 60 % of the full package', async () => {
    await publish('2.0.0', { 'index.js': 'export const v = 200;\n', 'assets/blob.bin': randomBytes(60_000) });
    await w.deltas.idle();
    const row = await w.deltas.pair(NAME, '1.0.4', '2.0.0');
    expect(row).toMatchObject({ offered: 0, blob_key: null });
    expect(row!.length).toBeGreaterThanOrEqual(0.6 * row!.full_length);
    expect((await w.app.inject({ url: `/-/deltas/${NAME}/1.0.4..2.0.0` })).statusCode).toBe(404);
    expect(await w.deltas.offeredTo(NAME, '2.0.0')).toEqual([]);
  });

  it('leaves a package named "deltas" its npm routes', async () => {
    const manifest = { name: 'deltas', version: '1.0.0' };
    const dir = await mkdtemp(join(tmpdir(), 'wharf-delta-'));
    await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
    const put = await w.app.inject({ method: 'PUT', url: '/deltas', headers: bearer(token), payload: publishDocument(manifest, await packDirectory(dir)) });
    await rm(dir, { recursive: true, force: true });
    expect(put.statusCode, put.body).toBe(201);
    expect((await w.app.inject({ url: '/deltas' })).json().name).toBe('deltas');
    expect((await w.app.inject({ url: '/deltas/1.0.0' })).json().version).toBe('1.0.0');
    expect((await w.app.inject({ url: '/deltas/-/deltas-1.0.0.tgz' })).statusCode).toBe(200);
  });

  it('answers a malformed pair with 400', async () => {
    const res = await w.app.inject({ url: `/-/deltas/${NAME}/1.0.3-1.0.4` });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toContain('is not <from>..<to>');
  });
});

it('stops building at shutdown: builds still queued are dropped, none runs on the closed database', async () => {
  const lines: string[] = [];
  const w = await createTestWharf('sqlite', { logLevel: 'error' }, { logStream: { write: (l) => void lines.push(l) } });
  const token = await addUser(w, 'delta-closer');
  const body = randomBytes(200_000);
  for (let n = 0; n < 6; n++) {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-delta-'));
    const manifest = { name: '@d/closing', version: `1.0.${n}` };
    await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
    await writeFile(join(dir, 'blob.bin'), Buffer.concat([body, Buffer.from(`edit ${n}`)]));
    const res = await w.app.inject({ method: 'PUT', url: '/@d%2fclosing', headers: bearer(token), payload: publishDocument(manifest, await packDirectory(dir)) });
    await rm(dir, { recursive: true, force: true });
    expect(res.statusCode, res.body).toBe(201);
  }
  await w.destroy();
  expect(lines.filter((l) => l.includes('building deltas failed'))).toEqual([]);
});
