import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { ADMIN_TOKEN, addUser, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';
import { osvAdvisory } from '../../server/test/supply-chain-support.js';
import { advisoriesImport } from '../src/advisories.js';

describeEachBackend('wharf advisories import', (backend) => {
  let w: TestWharf;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    w = await createTestWharf(backend);
    url = await w.app.listen({ port: 0, host: '127.0.0.1' });
    dir = await mkdtemp(join(tmpdir(), 'wharf-advisories-'));
  });
  afterAll(async () => {
    await w.destroy();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => vi.restoreAllMocks());

  const ids = async (pkg: string) => ((await w.app.inject({ url: `/api/v1/advisories?package=${pkg}` })).json().advisories as { id: string }[]).map((a) => a.id);

  it('imports a file holding one advisory or a list, idempotently, and says what changed', async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    const single = join(dir, 'one.json');
    await writeFile(single, JSON.stringify(osvAdvisory('GHSA-cli1-0001', 'cli-lib', '0', '1.0.1')));
    const first = await advisoriesImport(single, { registry: url, token: ADMIN_TOKEN });
    expect(first).toEqual({ imported: 1, advisories: [{ id: 'GHSA-cli1-0001', outcome: 'created' }] });
    expect(String(stdout.mock.calls.at(-1)![0])).toBe(`1 advisories sent to ${url}: 1 new, 0 updated, 0 unchanged, 0 older than the copy already imported\n`);

    const list = join(dir, 'list.json');
    await writeFile(list, JSON.stringify([osvAdvisory('GHSA-cli1-0001', 'cli-lib', '0', '1.0.1'), osvAdvisory('GHSA-cli2-0001', 'cli-lib', '2.0.0', '2.0.3')]));
    const second = await advisoriesImport(list, { registry: url, token: ADMIN_TOKEN });
    expect(second.advisories).toEqual([
      { id: 'GHSA-cli1-0001', outcome: 'unchanged' },
      { id: 'GHSA-cli2-0001', outcome: 'created' },
    ]);
    expect(await ids('cli-lib')).toEqual(['GHSA-cli1-0001', 'GHSA-cli2-0001']);
  });

  it('imports a directory of OSV files (an unpacked osv.dev export), reading WHARF_REGISTRY and WHARF_TOKEN', async () => {
    vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    const tree = join(dir, 'export');
    await mkdir(join(tree, 'npm'), { recursive: true });
    await writeFile(join(tree, 'npm', 'GHSA-dir1-0001.json'), JSON.stringify(osvAdvisory('GHSA-dir1-0001', 'dir-lib', '0', '1.0.0')));
    await writeFile(join(tree, 'GHSA-dir2-0001.json'), JSON.stringify(osvAdvisory('GHSA-dir2-0001', 'dir-lib', '0', '2.0.0')));
    await writeFile(join(tree, 'README.md'), 'not an advisory');
    const report = await advisoriesImport(tree, {}, { WHARF_REGISTRY: url, WHARF_TOKEN: ADMIN_TOKEN });
    expect(report.imported).toBe(2);
    expect(await ids('dir-lib')).toEqual(['GHSA-dir1-0001', 'GHSA-dir2-0001']);
  });

  it('names the file and the field of a malformed advisory, and sends nothing', async () => {
    const bad = join(dir, 'bad.json');
    const advisory = osvAdvisory('GHSA-bad9-0001', 'bad-lib', '0', '1.0.0');
    await writeFile(bad, JSON.stringify([advisory, { ...advisory, id: 'GHSA-bad9-0002', modified: 'last week' }]));
    await expect(advisoriesImport(bad, { registry: url, token: ADMIN_TOKEN })).rejects.toThrow(`${bad} is not valid OSV at 1.modified: not an RFC 3339 timestamp`);
    const notJson = join(dir, 'broken.json');
    await writeFile(notJson, '{ "id": ');
    await expect(advisoriesImport(notJson, { registry: url, token: ADMIN_TOKEN })).rejects.toThrow(`${notJson} is not JSON`);
    expect(await ids('bad-lib')).toEqual([]);
  });

  it('fails with the server\'s message without an admin token', async () => {
    const file = join(dir, 'one.json');
    await expect(advisoriesImport(file, { registry: url })).rejects.toThrow(/401/);
    const userToken = await addUser(w, 'no-admin');
    await expect(advisoriesImport(file, { registry: url, token: userToken })).rejects.toThrow(/403 role publisher may not advisories\.import/);
  });
});
