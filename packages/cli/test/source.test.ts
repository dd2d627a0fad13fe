import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceHistory, sourceSet, sourceShow } from '../src/source.js';
import { program } from '../src/index.js';
import { ADMIN_TOKEN, addUser, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';

describeEachBackend('wharf source', (backend) => {
  let w: TestWharf;
  let registry: string;
  beforeAll(async () => {
    w = await createTestWharf(backend);
    registry = await w.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => w.destroy());
  afterEach(() => vi.restoreAllMocks());

  it('sets from a file, changes single fields on top of the version in force, shows and lists history', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    const token = ADMIN_TOKEN;
    const file = join(await mkdtemp(join(tmpdir(), 'wharf-source-')), 'source.json');
    await writeFile(file, JSON.stringify({ type: 'git', priority: ['git'], sources: { git: 'http://127.0.0.1:9001/acme/plugins/main/' } }));
    expect((await sourceSet({ registry, token, file })).version).toBe(1);

    const cdn = await sourceSet({ registry, token, type: 'cdn', priority: 'cdn, git', source: ['cdn=http://127.0.0.1:9002/'], ttl: '60', fallback: true });
    expect(cdn).toMatchObject({ version: 2, updatedBy: 'admin', config: { type: 'cdn', priority: ['cdn', 'git'], sources: { git: 'http://127.0.0.1:9001/acme/plugins/main/', cdn: 'http://127.0.0.1:9002/' }, ttlSeconds: 60 } });

    const canary = await sourceSet({ registry, token, type: 'hybrid', source: ['edge=http://127.0.0.1:9003/'], canary: '10', canarySource: 'edge', healthCheck: false });
    expect(canary.config).toMatchObject({ type: 'hybrid', canaryPercent: 10, canarySource: 'edge', healthCheckEnabled: false, ttlSeconds: 60 });

    const back = await sourceSet({ registry, token, type: 'cdn', source: ['edge='], canary: '0', canarySource: '' });
    expect(back.config.sources).toEqual({ git: 'http://127.0.0.1:9001/acme/plugins/main/', cdn: 'http://127.0.0.1:9002/' });
    expect(back.config.canarySource).toBeUndefined();

    expect(await sourceShow({ registry, token })).toEqual(back);
    out.mockClear();
    expect((await sourceHistory({ registry, token })).map((v) => v.version)).toEqual([4, 3, 2, 1]);
    const lines = out.mock.calls.map((c) => String(c[0]));
    expect(lines[1]).toMatch(/^v3 {2}\S+ {2}admin {2}hybrid {2}cdn → git {2}canary 10% → edge {2}ttl 60s\n$/);
  });

  it("reports the server's refusal: bad input, a plain user, a malformed --source", async () => {
    vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    await expect(sourceSet({ registry, token: ADMIN_TOKEN, source: ['cdn=ftp://127.0.0.1/'] })).rejects.toThrow(/400 invalid marketplace_source at sources\.cdn: must be an http\(s\) URL/);
    await expect(sourceSet({ registry, token: ADMIN_TOKEN, priority: 'cdn,mirror' })).rejects.toThrow(/400 .*source mirror is not defined/);
    await expect(sourceSet({ registry, token: await addUser(w, 'plain'), ttl: '60' })).rejects.toThrow(/403/);
    await expect(sourceSet({ registry, token: ADMIN_TOKEN, source: ['cdn'] })).rejects.toThrow(/--source takes name=url/);
  });

  it('parses the command line', async () => {
    vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    await program().parseAsync(['node', 'wharf', 'source', 'set', '--registry', registry, '--token', ADMIN_TOKEN, '--no-fallback', '--source', 'git=http://127.0.0.1:9004/', '--source', 'cdn=http://127.0.0.1:9005/']);
    const current = await sourceShow({ registry, token: ADMIN_TOKEN });
    expect(current.config).toMatchObject({ fallbackOnError: false, sources: { git: 'http://127.0.0.1:9004/', cdn: 'http://127.0.0.1:9005/' } });
  });
});
