import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packDirectory, publishDocument } from '../src/index.js';
import { unprocessable } from '../src/errors.js';
import type { PublishCandidate } from '../src/events/domain-events.js';
import { addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';

async function tarballOf(manifest: Record<string, unknown>): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-pkg-'));
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
  await writeFile(join(dir, 'index.js'), 'module.exports = 1;\n');
  return packDirectory(dir);
}

describeEachBackend('version.publishing validators', (backend) => {
  let w: TestWharf;
  let token: string;
  const seen: PublishCandidate[] = [];
  beforeAll(async () => {
    w = await createTestWharf(backend);
    token = await addUser(w, 'hooky');
    w.domainEvents.validate('version.publishing', 'test policy', async (c) => {
      seen.push(c);
      if (c.manifest.refuseMe === true) throw unprocessable('refused by policy');
    });
  });
  afterAll(() => w.destroy());

  it('refuses with the hook\'s error and stores nothing', async () => {
    const manifest = { name: 'hooked', version: '1.0.0', refuseMe: true };
    const put = await w.app.inject({ method: 'PUT', url: '/hooked', headers: bearer(token), payload: publishDocument(manifest, await tarballOf(manifest)) });
    expect(put.statusCode).toBe(422);
    expect(put.json()).toEqual({ error: 'refused by policy' });
    expect((await w.app.inject({ url: '/hooked' })).statusCode).toBe(404);
  });

  it('hands the decoded tarball, package.json, file list and principal to the hook', async () => {
    const manifest = { name: 'hooked', version: '1.0.1' };
    const tarball = await tarballOf(manifest);
    const put = await w.app.inject({ method: 'PUT', url: '/hooked', headers: bearer(token), payload: publishDocument(manifest, tarball) });
    expect(put.statusCode, put.body).toBe(201);
    const c = seen.at(-1)!;
    expect(c).toMatchObject({ name: 'hooked', version: '1.0.1', packageJson: { name: 'hooked', version: '1.0.1' } });
    expect(c.tarball.equals(tarball)).toBe(true);
    expect(c.files.map((f) => f.path).sort()).toEqual(['index.js', 'package.json']);
    expect(c.principal.name).toBe('hooky');
  });
});
