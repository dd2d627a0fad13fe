import { METADATA_CACHE } from '../src/cdn/index.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { packDirectory, publishDocument } from '../src/index.js';
import { addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function tarballOf(manifest: Record<string, unknown>): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-pkg-'));
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
  await writeFile(join(dir, 'index.js'), `module.exports = ${JSON.stringify(manifest.version)};\n`);
  return packDirectory(dir);
}

describeEachBackend('publish and read', (backend) => {
  let w: TestWharf;
  let token: string;
  beforeAll(async () => {
    w = await createTestWharf(backend);
    token = await addUser(w, 'alice');
  });
  afterAll(() => w.destroy());

  it('publishes a scoped package and serves full and abbreviated packuments with ETags', async () => {
    const manifest = { name: '@cartae/plugin-x', version: '1.0.0', dependencies: { 'left-pad': '^1.0.0' } };
    const body = publishDocument(manifest, await tarballOf(manifest));
    const put = await w.app.inject({ method: 'PUT', url: '/@cartae%2fplugin-x', headers: bearer(token), payload: body });
    expect(put.statusCode, put.body).toBe(201);
    const full = await w.app.inject({ url: '/@cartae%2fplugin-x' });
    expect(full.statusCode).toBe(200);
    expect(full.headers['cache-control']).toBe(METADATA_CACHE);
    const doc = full.json();
    expect(doc['dist-tags']).toEqual({ latest: '1.0.0' });
    expect(doc.versions['1.0.0'].dist.tarball).toMatch(/\/@cartae\/plugin-x\/-\/plugin-x-1\.0\.0\.tgz$/);
    const abbr = await w.app.inject({ url: '/@cartae/plugin-x', headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' } });
    expect(abbr.headers['content-type']).toContain('application/vnd.npm.install-v1+json');
    expect(Object.keys(abbr.json().versions['1.0.0']).sort()).toEqual(['dependencies', 'dist', 'name', 'version']);
    const again = await w.app.inject({ url: '/@cartae%2fplugin-x', headers: { 'if-none-match': full.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });
});
