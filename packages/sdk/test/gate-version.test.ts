import { afterAll, beforeAll, expect, it } from 'vitest';
import { VersionGate, type GateCheck, type Maintenance, type UpdateRequired } from '../src/index.js';
import { ADMIN_TOKEN, bearer, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';

const POLICY = { latest: '2.0.0', minSupported: '1.5.0', message: 'Please update', url: 'https://example.com/download', mode: 'SOFT_BLOCK', retryAfterSeconds: null };

function watch(gate: VersionGate) {
  const seen = { updates: [] as UpdateRequired[], maintenance: [] as Maintenance[], checks: [] as GateCheck[], errors: [] as Error[] };
  gate.on('update-required', (u) => seen.updates.push(u));
  gate.on('maintenance', (m) => seen.maintenance.push(m));
  gate.on('check', (c) => seen.checks.push(c));
  gate.on('error', (e) => seen.errors.push(e));
  return seen;
}

describeEachBackend('VersionGate against a listening server', (backend) => {
  let w: TestWharf;
  let base: string;
  const setPolicy = async (policy: object) => {
    const res = await w.app.inject({ method: 'PUT', url: '/api/v1/release', headers: bearer(ADMIN_TOKEN), payload: { ...POLICY, ...policy } });
    expect(res.statusCode, res.body).toBe(200);
  };
  beforeAll(async () => {
    w = await createTestWharf(backend);
    base = await w.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => w.destroy());

  it('says nothing to a supported client, and announces an available update only through the check', async () => {
    await setPolicy({});
    const gate = new VersionGate({ url: base, clientVersion: '1.6.0' });
    const seen = watch(gate);
    const check = await gate.check();
    expect(check).toMatchObject({ status: 200, gate: { requiresUpdate: false, updateAvailable: true, latest: '2.0.0', mode: 'SOFT_BLOCK' }, retryAfterSeconds: null });
    expect(seen.updates).toEqual([]);
    expect(seen.maintenance).toEqual([]);
    expect(gate.last).toEqual(check);
  });

  it('emits update-required once for a client below minSupported (SOFT_BLOCK: 200, not blocking)', async () => {
    const gate = new VersionGate({ url: base, clientVersion: '1.0.0' });
    const seen = watch(gate);
    await gate.check();
    await gate.check();
    expect(seen.updates).toEqual([{ latest: '2.0.0', minSupported: '1.5.0', message: 'Please update', url: 'https://example.com/download', mode: 'SOFT_BLOCK', blocking: false }]);
    expect(seen.checks.map((c) => c.status)).toEqual([200, 200]);
  });

  it('emits a blocking update-required on 426 under HARD_BLOCK, and again when the policy changes', async () => {
    await setPolicy({ mode: 'HARD_BLOCK' });
    const gate = new VersionGate({ url: base, clientVersion: '1.0.0' });
    const seen = watch(gate);
    expect((await gate.check()).status).toBe(426);
    expect(seen.updates).toEqual([expect.objectContaining({ mode: 'HARD_BLOCK', blocking: true, minSupported: '1.5.0' })]);
    await setPolicy({ mode: 'HARD_BLOCK', minSupported: '1.8.0', message: 'Security fix' });
    await gate.check();
    expect(seen.updates).toHaveLength(2);
    expect(seen.updates[1]).toMatchObject({ minSupported: '1.8.0', message: 'Security fix', blocking: true });
    // Supported again: nothing to announce.
    await new VersionGate({ url: base, clientVersion: '1.9.0' }).check().then((c) => expect(c.status).toBe(200));
  });

  it('emits maintenance on 503 with Retry-After, for every client version', async () => {
    await setPolicy({ mode: 'MAINTENANCE', message: 'Back at noon', retryAfterSeconds: 120 });
    for (const version of ['1.0.0', '3.0.0']) {
      const gate = new VersionGate({ url: base, clientVersion: version });
      const seen = watch(gate);
      const check = await gate.check();
      expect(check).toMatchObject({ status: 503, retryAfterSeconds: 120, gate: { mode: 'MAINTENANCE' } });
      expect(seen.maintenance).toEqual([{ message: 'Back at noon', url: 'https://example.com/download', retryAfterSeconds: 120 }]);
      expect(seen.updates.length).toBe(version === '1.0.0' ? 1 : 0);
    }
  });

  it('during maintenance checks again after Retry-After when that is sooner than the interval', async () => {
    await setPolicy({ mode: 'MAINTENANCE', message: 'Brief pause', retryAfterSeconds: 1 });
    const gate = new VersionGate({ url: base, clientVersion: '2.0.0' });
    const seen = watch(gate);
    const started = Date.now();
    gate.start({ intervalMs: 60_000 });
    await expect.poll(() => seen.checks.length).toBe(1);
    await setPolicy({ mode: 'SOFT_BLOCK' });
    await expect.poll(() => seen.checks.length, { timeout: 5000 }).toBe(2);
    gate.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(seen.checks.map((c) => c.status)).toEqual([503, 200]);
    expect(seen.maintenance).toHaveLength(1);
  });

  it('checks at start and periodically, picking up a policy change, until stopped', async () => {
    await setPolicy({ mode: 'SOFT_BLOCK', minSupported: '1.0.0' });
    const gate = new VersionGate({ url: base, clientVersion: '1.2.0' });
    const seen = watch(gate);
    gate.start({ intervalMs: 50 });
    await expect.poll(() => seen.checks.length).toBeGreaterThanOrEqual(2);
    expect(seen.updates).toEqual([]);
    await setPolicy({ mode: 'HARD_BLOCK', minSupported: '1.3.0' });
    await expect.poll(() => seen.updates, { timeout: 5000 }).toEqual([expect.objectContaining({ blocking: true, minSupported: '1.3.0' })]);
    gate.stop();
    // A check already under way when stop() ran may still land; nothing starts after it.
    await new Promise((r) => setTimeout(r, 100));
    const count = seen.checks.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.checks.length).toBe(count);
  });

  it('rejects answers that are not the gate’s: a bad version header (400), a proxy’s 503 without the body', async () => {
    await expect(new VersionGate({ url: base, clientVersion: 'not-semver' }).check()).rejects.toThrow(/400.*SemVer/);
    const proxy: typeof fetch = async () => new Response('<html>busy</html>', { status: 503, headers: { 'retry-after': '5' } });
    const gate = new VersionGate({ url: base, clientVersion: '1.0.0', fetch: proxy });
    const seen = watch(gate);
    await expect(gate.check()).rejects.toThrow(/without a release gate body/);
    expect(seen.maintenance).toEqual([]);
    // In the periodic schedule, failures go to the error event.
    gate.start({ intervalMs: 1000 });
    await expect.poll(() => seen.errors.length).toBe(1);
    gate.stop();
  });
});
