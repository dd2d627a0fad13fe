import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { ADMIN_TOKEN, addUser, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';
import { releaseSet, releaseShow, rolloutList } from '../src/release.js';


describeEachBackend('wharf release', (backend) => {
  let w: TestWharf;
  let registry: string;
  beforeAll(async () => {
    w = await createTestWharf(backend);
    registry = await w.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => w.destroy());
  afterEach(() => vi.restoreAllMocks());

  it('sets only the given fields, shows the policy, and the gate answers accordingly', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    const token = ADMIN_TOKEN;
    await releaseSet({ registry, token, latest: '2.0.0', minSupported: '1.5.0', mode: 'HARD_BLOCK' });
    const policy = await releaseSet({ registry, token, message: 'update please' });
    expect(policy).toEqual({ latest: '2.0.0', minSupported: '1.5.0', message: 'update please', url: null, mode: 'HARD_BLOCK', retryAfterSeconds: null });
    expect(await releaseShow({ registry, token })).toEqual(policy);
    expect(String(out.mock.calls.at(-1)![0])).toContain('"mode": "HARD_BLOCK"');
    expect((await fetch(`${registry}/meta/release`, { headers: { 'x-client-version': '1.0.0' } })).status).toBe(426);
    await releaseSet({ registry, token, minSupported: '' });
    expect((await fetch(`${registry}/meta/release`, { headers: { 'x-client-version': '1.0.0' } })).status).toBe(200);
  });

  it('reports the server refusal for a non-release-manager or a bad mode', async () => {
    const token = await addUser(w, 'plain');
    await expect(releaseSet({ registry, token, latest: '3.0.0' })).rejects.toThrow(/403/);
    await expect(releaseSet({ registry, token: ADMIN_TOKEN, mode: 'PANIC' })).rejects.toThrow(/400/);
    vi.spyOn(process.stdout, 'write').mockReturnValue(true);
    expect(await rolloutList({ registry, token: ADMIN_TOKEN })).toEqual([]);
  });
});
