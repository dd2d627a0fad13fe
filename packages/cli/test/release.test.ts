import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { RolloutSchema } from '@wharf/core';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';
import { encodeName, publishBody } from '../../server/test/support/packages.js';
import { releaseSet, releaseShow, rolloutList } from '../src/release.js';
import { wharf } from './support/run.js';

const PLUGIN = '@acme/gadget';

async function publish(w: TestWharf, token: string, version: string, tag: string): Promise<void> {
  const res = await w.app.inject({ method: 'PUT', url: `/${encodeName(PLUGIN)}`, headers: bearer(token), payload: publishBody(PLUGIN, version, { tag }).body });
  expect(res.statusCode, res.body).toBe(201);
}

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

  it('starts, raises, halts, resumes, rolls back and completes rollouts; the server refuses what the state forbids', async () => {
    const publisher = await addUser(w, 'gadgeteer');
    await publish(w, publisher, '1.0.0', 'stable');
    await publish(w, publisher, '2.0.0', 'latest');
    const server = ['--registry', registry, '--token', ADMIN_TOKEN];
    const resolved = async () => (await w.app.inject({ url: `/api/v1/rollouts/resolve?plugin=${encodeURIComponent(PLUGIN)}&channel=stable&installId=install-1` })).json().version;

    const started = await wharf('rollout', 'start', PLUGIN, 'stable', '2.0.0', '--percentage', '10', '--error-threshold', '0.2', '--min-sample', '20', ...server);
    const id = started.out.split('  ')[0]!;
    expect(started.out).toBe(`${id}  ${PLUGIN}@stable  1.0.0 → 2.0.0  10%  active\n`);
    const stored = RolloutSchema.parse((await w.app.inject({ url: `/api/v1/rollouts/${id}`, headers: bearer(ADMIN_TOKEN) })).json());
    expect(stored).toMatchObject({ plugin: PLUGIN, channel: 'stable', version: '2.0.0', percentage: 10, errorThreshold: 0.2, minSample: 20, state: 'active' });

    expect((await wharf('rollout', 'raise', id, '--percentage', '30', ...server)).out).toBe(`${id}  ${PLUGIN}@stable  1.0.0 → 2.0.0  30%  active\n`);
    await expect(wharf('rollout', 'raise', id, '--percentage', '20', ...server), 'a rollout only goes up').rejects.toThrow(/400/);
    expect((await wharf('rollout', 'halt', id, ...server)).out).toBe(`${id}  ${PLUGIN}@stable  1.0.0 → 2.0.0  30%  halted\n`);
    await expect(wharf('rollout', 'raise', id, '--percentage', '40', ...server)).rejects.toThrow(/409 .*halted/);
    expect((await wharf('rollout', 'resume', id, ...server)).out).toBe(`${id}  ${PLUGIN}@stable  1.0.0 → 2.0.0  30%  active\n`);
    expect((await wharf('rollout', 'rollback', id, '--reason', 'crash on start', ...server)).out).toBe(`${id}  ${PLUGIN}@stable  1.0.0 → 2.0.0  30%  rolled_back  (crash on start)\n`);
    expect(await resolved()).toBe('1.0.0');
    await expect(wharf('rollout', 'resume', id, ...server)).rejects.toThrow(/409/);
    // A publisher may not steer rollouts.
    await expect(wharf('rollout', 'start', PLUGIN, 'stable', '2.0.0', '--percentage', '5', '--registry', registry, '--token', publisher)).rejects.toThrow(/403/);

    const again = await wharf('rollout', 'start', PLUGIN, 'stable', '2.0.0', '--percentage', '50', ...server);
    const second = again.out.split('  ')[0]!;
    expect((await wharf('rollout', 'raise', second, '--percentage', '100', ...server)).out).toBe(`${second}  ${PLUGIN}@stable  1.0.0 → 2.0.0  100%  completed\n`);
    expect((await w.app.inject({ url: '/-/package/@acme%2fgadget/dist-tags' })).json()).toMatchObject({ stable: '2.0.0' });
    expect(await resolved()).toBe('2.0.0');

    const listed = await wharf('rollout', 'list', '--plugin', PLUGIN, ...server);
    expect(listed.out.trim().split('\n').sort()).toEqual(
      [`${id}  ${PLUGIN}@stable  1.0.0 → 2.0.0  30%  rolled_back  (crash on start)`, `${second}  ${PLUGIN}@stable  1.0.0 → 2.0.0  100%  completed`].sort(),
    );
  });
});
