import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { program } from '../src/index.js';
import { FsBlobStore, blobsDir } from '@wharf/server';
import { addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';
import { encodeName, publishBody } from '../../server/test/support/packages.js';

describeEachBackend('wharf blobs verify', (backend) => {
  let w: TestWharf;
  beforeAll(async () => {
    w = await createTestWharf(backend);
    const alice = await addUser(w, 'alice');
    for (const version of ['1.0.0', '1.1.0']) {
      const res = await w.app.inject({ method: 'PUT', url: `/${encodeName('@alice/scrub')}`, headers: bearer(alice), payload: publishBody('@alice/scrub', version).body as object });
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(() => w.destroy());

  const run = async (...args: string[]) => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    await program().parseAsync(['node', 'wharf', 'blobs', 'verify', ...args]);
    const result = { out: out.mock.calls.map((c) => c.join(' ')), err: err.mock.calls.map((c) => c.join(' ')), code: process.exitCode };
    vi.restoreAllMocks();
    process.exitCode = undefined;
    return result;
  };

  it('says all blobs are ok, then lists a corrupted one and exits 1', async () => {
    const clean = await run('--data', w.dataDir);
    expect(clean.out).toEqual(['all 2 blobs ok']);
    expect(clean.code ?? 0).toBe(0);

    const doc = (await w.app.inject({ url: '/@alice%2fscrub' })).json();
    const key = Buffer.from(String(doc.versions['1.1.0'].dist.integrity).slice('sha512-'.length), 'base64').toString('hex');
    await writeFile(new FsBlobStore(blobsDir(w.dataDir)).path(key), 'bit rot');
    const dirty = await run('--data', w.dataDir);
    expect(dirty.out).toHaveLength(1);
    expect(dirty.out[0]).toMatch(new RegExp(`^corrupt ${key} \\(hashes to [0-9a-f]{128}\\)$`));
    expect(dirty.err).toEqual(['1 of 2 blobs are corrupt']);
    expect(dirty.code).toBe(1);
  });

  it('refuses a data directory without a blob store', async () => {
    const res = await run('--data', join(w.dataDir, 'nope'));
    expect(res.err[0]).toMatch(/^no blob store at .*nope\/blobs: pass the server's data directory with --data$/);
    expect(res.code).toBe(2);
  });
});
