import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceHistory, sourceSet, sourceShow } from '../src/source.js';
import { program } from '../src/index.js';
import { wharf } from './support/run.js';
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
    // Checked with the server's own schema before sending, and said in the CLI's own options.
    await expect(sourceSet({ registry, token: ADMIN_TOKEN, source: ['cdn=ftp://127.0.0.1/'] })).rejects.toThrow(/sources\.cdn: must be an http\(s\) URL/);
    await expect(sourceSet({ registry, token: ADMIN_TOKEN, priority: 'cdn,mirror' })).rejects.toThrow(/source mirror has no URL: add --source mirror=<url>/);
    await expect(sourceSet({ registry, token: await addUser(w, 'plain'), ttl: '60' })).rejects.toThrow(/403/);
    await expect(sourceSet({ registry, token: ADMIN_TOKEN, source: ['cdn'] })).rejects.toThrow(/--source takes name=url/);
  });

  it('says which options a first configuration still needs, in the CLI\'s own terms', async () => {
    const fresh = await createTestWharf(backend);
    try {
      const url = await fresh.app.listen({ port: 0, host: '127.0.0.1' });
      const alone = await wharf('source', 'set', '--type', 'cdn', '--registry', url, '--token', ADMIN_TOKEN).catch((err: Error) => err);
      expect(String(alone)).toBe('Error: the marketplace source is incomplete:\n  source cdn has no URL: add --source cdn=<url>');
      expect(String(alone)).not.toMatch(/expected array/);
      const noType = await wharf('source', 'set', '--source', 'cdn=http://127.0.0.1:9002/', '--registry', url, '--token', ADMIN_TOKEN).catch((err: Error) => err);
      expect(String(noType)).toContain('--type is needed: one of git, cdn, hybrid');
      // With its source, the type alone is enough: it comes first in priority.
      const set = await wharf('source', 'set', '--type', 'cdn', '--source', 'cdn=http://127.0.0.1:9002/', '--registry', url, '--token', ADMIN_TOKEN);
      expect(set.code ?? 0, set.err).toBe(0);
      expect(JSON.parse(set.out)).toMatchObject({ version: 1, config: { type: 'cdn', priority: ['cdn'] } });
    } finally {
      await fresh.destroy();
    }
  });

  it('parses the command line', async () => {
    vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    await program().parseAsync(['node', 'wharf', 'source', 'set', '--registry', registry, '--token', ADMIN_TOKEN, '--no-fallback', '--source', 'git=http://127.0.0.1:9004/', '--source', 'cdn=http://127.0.0.1:9005/']);
    const current = await sourceShow({ registry, token: ADMIN_TOKEN });
    expect(current.config).toMatchObject({ fallbackOnError: false, sources: { git: 'http://127.0.0.1:9004/', cdn: 'http://127.0.0.1:9005/' } });
  });
});
