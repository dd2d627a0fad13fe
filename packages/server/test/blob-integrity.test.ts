import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestWharf, describeEachBackend, addUser, bearer, type TestWharf } from './helpers.js';
import { encodeName, publishBody } from './support/packages.js';
import { FsBlobStore, blobsDir, scrubBlobs } from '../src/index.js';

describeEachBackend('blob integrity on read', (backend) => {
  let w: TestWharf;
  let alice: string;

  beforeAll(async () => {
    w = await createTestWharf(backend);
    alice = await addUser(w, 'alice');
  });
  afterAll(() => w.destroy());

  const corruptCount = async () => {
    const metric = await w.metrics.registry.getSingleMetricAsString('wharf_blob_corrupt_total');
    return Number(/wharf_blob_corrupt_total (\d+)/.exec(metric)![1]);
  };

  it('answers 500 JSON for a blob whose bytes no longer match its key, counts it, and never caches it', async () => {
    const { body } = publishBody('@alice/rot', '1.0.0');
    expect((await w.app.inject({ method: 'PUT', url: `/${encodeName('@alice/rot')}`, headers: bearer(alice), payload: body as object })).statusCode).toBe(201);
    const doc = (await w.app.inject({ url: '/@alice%2frot' })).json();
    const integrity: string = doc.versions['1.0.0'].dist.integrity;
    const key = Buffer.from(integrity.slice('sha512-'.length), 'base64').toString('hex');
    const store = new FsBlobStore(join(w.dataDir, 'blobs'));
    const path = store.path(key);
    await writeFile(path, 'not the tarball any more');

    const before = await corruptCount();
    const url = '/@alice/rot/-/rot-1.0.0.tgz';
    const res = await w.app.inject({ url });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'internal server error' });
    expect(await corruptCount()).toBe(before + 1);
    // A second read hashes again (nothing corrupt was cached) and is counted again.
    expect((await w.app.inject({ url })).statusCode).toBe(500);
    expect(await corruptCount()).toBe(before + 2);
  });

  it('a scrub of the store lists exactly the corrupt blobs', async () => {
    const { body } = publishBody('@alice/rot', '1.1.0');
    expect((await w.app.inject({ method: 'PUT', url: `/${encodeName('@alice/rot')}`, headers: bearer(alice), payload: body as object })).statusCode).toBe(201);
    const bad: string[] = [];
    const { total } = await scrubBlobs(new FsBlobStore(blobsDir(w.dataDir)), (err) => bad.push(err.key));
    expect(total).toBe(2);
    expect(bad).toHaveLength(1);
  });
});
