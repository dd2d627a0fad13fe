import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResolvedVersionSchema, RolloutSchema, type Rollout } from '@wharf/core';
import { packDirectory, publishDocument } from '../src/index.js';
import type { WharfEvent } from '../src/events/event-bus.js';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';


const PLUGIN = '@acme/widget';

async function publish(w: TestWharf, token: string, version: string, tag: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-rollout-'));
  const manifest = { name: PLUGIN, version };
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
  const res = await w.app.inject({ method: 'PUT', url: '/@acme%2fwidget', headers: bearer(token), payload: publishDocument(manifest, await packDirectory(dir), tag) });
  expect(res.statusCode, res.body).toBe(201);
}

describeEachBackend('staged rollouts', (backend) => {
  let w: TestWharf;
  let rm: Record<string, string>;
  let publisher: Record<string, string>;
  let pubToken: string;
  const installs = Array.from({ length: 150 }, (_, i) => `install-${i}`);
  beforeAll(async () => {
    w = await createTestWharf(backend);
    pubToken = await addUser(w, 'pia');
    publisher = bearer(pubToken);
    rm = bearer(await addUser(w, 'remy'));
    await w.app.inject({ method: 'PUT', url: '/api/v1/users/remy/role', headers: bearer(ADMIN_TOKEN), payload: { role: 'release-manager' } });
    await publish(w, pubToken, '1.0.0', 'stable');
    await publish(w, pubToken, '2.0.0', 'latest');
    await publish(w, pubToken, '3.0.0', 'latest');
  });
  afterAll(() => w.destroy());

  const create = (body: object, headers = rm) => w.app.inject({ method: 'POST', url: '/api/v1/rollouts', headers, payload: body });
  const act = (id: string, verb: string, body?: object) => w.app.inject({ method: 'POST', url: `/api/v1/rollouts/${id}/${verb}`, headers: rm, payload: body });
  const resolve = async (installId: string) => {
    const res = await w.app.inject({ url: `/api/v1/rollouts/resolve?plugin=${encodeURIComponent(PLUGIN)}&channel=stable&installId=${installId}` });
    expect(res.statusCode, res.body).toBe(200);
    return ResolvedVersionSchema.parse(res.json());
  };
  const resolveAll = async () => new Map(await Promise.all(installs.map(async (id) => [id, (await resolve(id)).version] as const)));
  const report = (reports: object[]) => w.app.inject({ method: 'POST', url: '/api/v1/rollouts/reports', payload: { reports } });

  let rollout: Rollout;
  const events: WharfEvent[] = [];
  beforeAll(() => void w.events.subscribe((e) => events.push(e)));

  it('resolves the channel dist-tag when nothing is rolling out', async () => {
    expect((await resolve('anyone')).version).toBe('1.0.0');
    const none = await w.app.inject({ url: `/api/v1/rollouts/resolve?plugin=${encodeURIComponent(PLUGIN)}&channel=beta&installId=x` });
    expect(none.statusCode).toBe(404);
    expect((await w.app.inject({ url: '/api/v1/rollouts/resolve?plugin=x&channel=nightly&installId=x' })).statusCode).toBe(400);
  });

  it('is created by release managers only, for an existing version, one open rollout per channel', async () => {
    const body = { plugin: PLUGIN, channel: 'stable', version: '2.0.0', percentage: 10, errorThreshold: 0.1, minSample: 50 };
    expect((await create(body, {})).statusCode).toBe(401);
    expect((await create(body, publisher)).statusCode).toBe(403);
    expect((await create({ ...body, version: '9.9.9' })).statusCode).toBe(404);
    expect((await create({ ...body, percentage: 101 })).statusCode).toBe(400);
    const res = await create(body);
    expect(res.statusCode, res.body).toBe(201);
    rollout = RolloutSchema.parse(res.json());
    expect(rollout).toMatchObject({ previousVersion: '1.0.0', percentage: 10, state: 'active', errorThreshold: 0.1, minSample: 50 });
    expect((await create(body)).statusCode).toBe(409);
  });

  it('serves the new version to a stable cohort that only grows when raised', async () => {
    const at10 = await resolveAll();
    const in10 = installs.filter((id) => at10.get(id) === '2.0.0');
    expect(in10.length).toBeGreaterThan(4);
    expect(in10.length).toBeLessThan(35);
    expect(installs.every((id) => ['1.0.0', '2.0.0'].includes(at10.get(id)!))).toBe(true);
    expect(await resolveAll()).toEqual(at10);

    expect((await act(rollout.id, 'raise', { percentage: 5 })).statusCode).toBe(400);
    expect((await act(rollout.id, 'raise', { percentage: 50 })).json()).toMatchObject({ percentage: 50 });
    const at50 = await resolveAll();
    expect(in10.every((id) => at50.get(id) === '2.0.0')).toBe(true);
    expect(installs.filter((id) => at50.get(id) === '2.0.0').length).toBeGreaterThan(in10.length);
  }, 120_000);

  it('halts (frozen: no raise, cohort kept) and resumes by hand', async () => {
    const before = await resolveAll();
    expect((await act(rollout.id, 'halt')).json()).toMatchObject({ state: 'halted' });
    expect((await act(rollout.id, 'raise', { percentage: 60 })).statusCode).toBe(409);
    expect(await resolveAll()).toEqual(before);
    expect((await act(rollout.id, 'halt')).statusCode).toBe(409);
    expect((await act(rollout.id, 'resume')).json()).toMatchObject({ state: 'active' });
  }, 120_000);

  it('rolls back by itself when the new version errors beyond the threshold, and clients get the previous version', async () => {
    expect((await report([{ plugin: PLUGIN, version: '1.0.0', activations: 95, errors: 5 }])).statusCode).toBe(202);
    // Terrible, but under the minimum sample: no decision yet.
    await report([{ plugin: PLUGIN, version: '2.0.0', activations: 5, errors: 20 }]);
    expect((await w.app.inject({ url: `/api/v1/rollouts/${rollout.id}`, headers: rm })).json().state).toBe('active');
    // The spike: 2.0.0 now at 35/70 errors against 5 % for 1.0.0.
    await report([{ plugin: PLUGIN, version: '2.0.0', activations: 30, errors: 15 }]);
    const after = RolloutSchema.parse((await w.app.inject({ url: `/api/v1/rollouts/${rollout.id}`, headers: rm })).json());
    expect(after.state).toBe('rolled_back');
    expect(after.reason).toMatch(/^automatic: error rate 0\.5000 vs 0\.0500/);
    expect(new Set((await resolveAll()).values())).toEqual(new Set(['1.0.0']));
    await expect.poll(() => events.filter((e) => e.type === 'rollout.changed').map((e) => (e.data as { state: string }).state)).toContain('rolled_back');
    const audit = (await w.app.inject({ url: '/api/v1/audit?action=rollouts.rollback', headers: bearer(ADMIN_TOKEN) })).json();
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({ actor: 'system', before: { state: 'active' }, after: { state: 'rolled_back' } });
    const health = (await w.app.inject({ url: `/api/v1/rollouts/health?plugin=${encodeURIComponent(PLUGIN)}`, headers: rm })).json();
    expect(health.versions).toEqual([
      { version: '1.0.0', activations: 95, errors: 5, errorRate: 0.05 },
      { version: '2.0.0', activations: 35, errors: 35, errorRate: 0.5 },
    ]);
  });

  it('refuses malformed reports without a 500', async () => {
    expect((await report([])).statusCode).toBe(400);
    expect((await report([{ plugin: PLUGIN, version: '2.0.0', activations: -1, errors: 0 }])).statusCode).toBe(400);
    expect((await w.app.inject({ method: 'POST', url: '/api/v1/rollouts/reports', payload: { reports: [{ plugin: PLUGIN, version: '1', activations: 1, errors: 0, installId: 'x' }] } })).statusCode).toBe(202);
  });

  it('completes at 100 %, moving the channel dist-tag', async () => {
    expect((await act(rollout.id, 'rollback')).statusCode).toBe(409);
    const next = RolloutSchema.parse((await create({ plugin: PLUGIN, channel: 'stable', version: '3.0.0', percentage: 1 })).json());
    expect((await act(next.id, 'raise', { percentage: 100 })).json()).toMatchObject({ state: 'completed', percentage: 100 });
    expect((await w.app.inject({ url: '/-/package/@acme%2fwidget/dist-tags' })).json()).toMatchObject({ stable: '3.0.0' });
    expect(new Set((await resolveAll()).values())).toEqual(new Set(['3.0.0']));
    const list = (await w.app.inject({ url: `/api/v1/rollouts?plugin=${encodeURIComponent(PLUGIN)}`, headers: rm })).json();
    expect(list.rollouts.map((r: Rollout) => r.state).sort()).toEqual(['completed', 'rolled_back']);
  });

  it('rolls back by hand, halted or active: everyone gets the previous version, the reason and the operator are kept', async () => {
    await publish(w, pubToken, '4.0.0', 'latest');
    const halted = RolloutSchema.parse((await create({ plugin: PLUGIN, channel: 'stable', version: '4.0.0', percentage: 40 })).json());
    const at40 = await resolveAll();
    expect([...at40.values()].filter((v) => v === '4.0.0').length).toBeGreaterThan(20);
    expect((await act(halted.id, 'halt')).json()).toMatchObject({ state: 'halted' });
    // Without a token, or by a publisher, nothing happens.
    expect((await w.app.inject({ method: 'POST', url: `/api/v1/rollouts/${halted.id}/rollback` })).statusCode).toBe(401);
    expect((await w.app.inject({ method: 'POST', url: `/api/v1/rollouts/${halted.id}/rollback`, headers: publisher })).statusCode).toBe(403);
    expect((await act(halted.id, 'rollback', { reason: 'x'.repeat(501) })).statusCode).toBe(400);
    const rolledBack = await act(halted.id, 'rollback', { reason: 'crash on start in 4.0.0' });
    expect(rolledBack.statusCode, rolledBack.body).toBe(200);
    expect(RolloutSchema.parse(rolledBack.json())).toMatchObject({ id: halted.id, state: 'rolled_back', reason: 'crash on start in 4.0.0', previousVersion: '3.0.0', percentage: 40 });
    expect(new Set((await resolveAll()).values())).toEqual(new Set(['3.0.0']));
    expect((await w.app.inject({ url: '/-/package/@acme%2fwidget/dist-tags' })).json()).toMatchObject({ stable: '3.0.0' });
    // Closed: neither raised, resumed, halted nor rolled back again.
    for (const [verb, body] of [['raise', { percentage: 50 }], ['resume', undefined], ['halt', undefined], ['rollback', undefined]] as const) {
      expect((await act(halted.id, verb, body)).statusCode, verb).toBe(409);
    }

    // The channel is free again; an active rollout rolled back without a reason names who did it.
    const active = RolloutSchema.parse((await create({ plugin: PLUGIN, channel: 'stable', version: '4.0.0', percentage: 10 })).json());
    expect((await act(active.id, 'raise', { percentage: 20 })).json()).toMatchObject({ state: 'active', percentage: 20 });
    expect((await act(active.id, 'rollback')).json()).toMatchObject({ state: 'rolled_back', reason: 'by remy' });
    expect(new Set((await resolveAll()).values())).toEqual(new Set(['3.0.0']));

    const audit = (await w.app.inject({ url: `/api/v1/audit?action=rollouts.rollback&actor=remy`, headers: bearer(ADMIN_TOKEN) })).json();
    expect(audit.entries.map((e: { target: string; before: Rollout; after: Rollout }) => [e.target, e.before.state, e.after.state, e.after.reason])).toEqual([
      [`rollout:${PLUGIN}@stable#${halted.id}`, 'halted', 'rolled_back', 'crash on start in 4.0.0'],
      [`rollout:${PLUGIN}@stable#${active.id}`, 'active', 'rolled_back', 'by remy'],
    ]);
    await expect.poll(() => events.filter((e) => e.type === 'rollout.changed' && (e.data as { id?: string }).id === active.id).map((e) => (e.data as { state: string }).state)).toContain('rolled_back');
  }, 120_000);
});

describe('health report rate limit', () => {
  it('answers a JSON 429 with Retry-After past the per-address limit, counting each address apart', async () => {
    const w = await createTestWharf('sqlite', { reportRateLimit: 3 });
    try {
      const post = (remoteAddress: string) =>
        w.app.inject({ method: 'POST', url: '/api/v1/rollouts/reports', remoteAddress, payload: { reports: [{ plugin: PLUGIN, version: '1.0.0', activations: 1, errors: 0 }] } });
      for (let i = 0; i < 3; i++) expect((await post('10.0.0.1')).statusCode).toBe(202);
      const refused = await post('10.0.0.1');
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toEqual({ error: expect.stringMatching(/too many health reports/) });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await post('10.0.0.2')).statusCode).toBe(202);
      // The refused report was not counted.
      const health = (await w.app.inject({ url: `/api/v1/rollouts/health?plugin=${encodeURIComponent(PLUGIN)}`, headers: bearer(ADMIN_TOKEN) })).json();
      expect(health.versions).toEqual([{ version: '1.0.0', activations: 4, errors: 0, errorRate: 0 }]);
      // Operators and resolution are not limited.
      expect((await w.app.inject({ url: '/api/v1/rollouts/resolve?plugin=x&channel=stable&installId=i', remoteAddress: '10.0.0.1' })).statusCode).not.toBe(429);
    } finally {
      await w.destroy();
    }
  });
});
