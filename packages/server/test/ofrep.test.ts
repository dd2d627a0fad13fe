import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';

const admin = bearer(ADMIN_TOKEN);

const flagSet = {
  version: 1,
  features: [
    { name: 'on', enabled: true, strategies: [{ name: 'default' }] },
    { name: 'off', enabled: false, strategies: [{ name: 'default' }] },
    { name: 'pro-only', enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'plan', operator: 'IN', values: ['pro'] }] }] },
    { name: 'eu', enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'environment', operator: 'IN', values: ['eu'] }, { contextName: 'appName', operator: 'STR_STARTS_WITH', values: ['console'] }] }] },
    { name: 'theme', enabled: true, strategies: [{ name: 'default' }], variants: [{ name: 'dark', weight: 1000, payload: { type: 'json', value: '{"bg":"#000"}' } }] },
    { name: 'limit', enabled: true, strategies: [{ name: 'default' }], variants: [{ name: 'big', weight: 1000, payload: { type: 'number', value: '50' } }] },
    { name: 'vip', enabled: true, strategies: [{ name: 'userWithId', parameters: { userIds: 'tenant-7' } }] },
    { name: 'launch', enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'currentTime', operator: 'DATE_AFTER', value: '2030-01-01T00:00:00Z' }] }] },
  ],
};

const evaluate = (w: TestWharf, key: string, context: unknown, headers: Record<string, string> = {}) =>
  w.app.inject({ method: 'POST', url: `/ofrep/v1/evaluate/flags/${encodeURIComponent(key)}`, headers, payload: { context } as object });

describeEachBackend('OFREP', (backend) => {
  let w: TestWharf;
  beforeAll(async () => {
    w = await createTestWharf(backend);
    const res = await w.app.inject({ method: 'PUT', url: '/api/v1/flags', headers: admin, payload: flagSet });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterAll(() => w.destroy());

  it('evaluates one flag to { key, value, reason, variant }', async () => {
    expect((await evaluate(w, 'on', {})).json()).toEqual({ key: 'on', value: true, reason: 'STATIC', variant: 'on', metadata: { version: 1 } });
    expect((await evaluate(w, 'off', {})).json()).toMatchObject({ key: 'off', value: false, reason: 'DISABLED', variant: 'off' });
    expect((await evaluate(w, 'theme', { targetingKey: 'u' })).json()).toMatchObject({ value: { bg: '#000' }, reason: 'SPLIT', variant: 'dark' });
    expect((await evaluate(w, 'limit', {})).json()).toMatchObject({ value: 50, variant: 'big' });
  });

  it('maps the context: userId else targetingKey, Unleash fields, properties nested or top-level', async () => {
    expect((await evaluate(w, 'vip', { targetingKey: 'tenant-7' })).json()).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect((await evaluate(w, 'vip', { targetingKey: 'tenant-7', userId: 'someone' })).json()).toMatchObject({ value: false, reason: 'DEFAULT' });
    expect((await evaluate(w, 'pro-only', { plan: 'pro' })).json()).toMatchObject({ value: true });
    expect((await evaluate(w, 'pro-only', { properties: { plan: 'pro' } })).json()).toMatchObject({ value: true });
    expect((await evaluate(w, 'pro-only', { properties: { plan: 'free' } })).json()).toMatchObject({ value: false });
    expect((await evaluate(w, 'eu', { environment: 'eu', appName: 'console-web' })).json()).toMatchObject({ value: true });
    expect((await evaluate(w, 'eu', { environment: 'us', appName: 'console-web' })).json()).toMatchObject({ value: false });
    expect((await evaluate(w, 'launch', { currentTime: '2031-01-01T00:00:00Z' })).json()).toMatchObject({ value: true });
    expect((await evaluate(w, 'launch', { currentTime: '2029-01-01T00:00:00Z' })).json()).toMatchObject({ value: false });
  });

  it('answers 404 FLAG_NOT_FOUND and 400 INVALID_CONTEXT in the OFREP shapes', async () => {
    const missing = await evaluate(w, 'nope', {});
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ key: 'nope', errorCode: 'FLAG_NOT_FOUND' });
    for (const context of [{ targetingKey: 5 }, { tenant: { id: 1 } }, { currentTime: 'soon' }, { properties: 'x' }, 'a string']) {
      const bad = await evaluate(w, 'on', context);
      expect(bad.statusCode, JSON.stringify(context)).toBe(400);
      expect(bad.json()).toMatchObject({ key: 'on', errorCode: 'INVALID_CONTEXT', errorDetails: expect.any(String) });
    }
    const bulkBad = await w.app.inject({ method: 'POST', url: '/ofrep/v1/evaluate/flags', payload: { context: [1] } });
    expect(bulkBad.statusCode).toBe(400);
    expect(bulkBad.json()).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
    const notJson = await w.app.inject({ method: 'POST', url: '/ofrep/v1/evaluate/flags', headers: { 'content-type': 'application/json' }, payload: '{' });
    expect(notJson.statusCode).toBe(400);
    const noBody = await w.app.inject({ method: 'POST', url: '/ofrep/v1/evaluate/flags/on' });
    expect(noBody.json()).toMatchObject({ key: 'on', value: true });
  });

  it('bulk-evaluates every flag with an ETag per revision and context, 304 on If-None-Match, new answer after a change', async () => {
    const bulk = (context: unknown, headers: Record<string, string> = {}) => w.app.inject({ method: 'POST', url: '/ofrep/v1/evaluate/flags', headers, payload: { context } as object });
    // 'launch' depends on the clock: while it is in the set, no ETag may be given.
    expect((await bulk({})).headers.etag).toBeUndefined();
    const withoutDates = { ...flagSet, features: flagSet.features.filter((f) => f.name !== 'launch') };
    await w.app.inject({ method: 'PUT', url: '/api/v1/flags', headers: admin, payload: withoutDates });

    const first = await bulk({ targetingKey: 'tenant-7', plan: 'pro' });
    expect(first.statusCode).toBe(200);
    const { flags } = first.json() as { flags: Array<{ key: string; value: unknown }> };
    expect(Object.fromEntries(flags.map((f) => [f.key, f.value]))).toEqual({ on: true, off: false, 'pro-only': true, eu: false, theme: { bg: '#000' }, limit: 50, vip: true });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"2-/);
    expect((await bulk({ targetingKey: 'tenant-7', plan: 'pro' }, { 'if-none-match': etag })).statusCode).toBe(304);
    const other = await bulk({ targetingKey: 'tenant-8' }, { 'if-none-match': etag });
    expect(other.statusCode).toBe(200);
    expect(other.headers.etag).not.toBe(etag);

    await w.app.inject({ method: 'PATCH', url: '/api/v1/flags/off', headers: admin, payload: { state: 'ON' } });
    const changed = await bulk({ targetingKey: 'tenant-7', plan: 'pro' }, { 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().flags.find((f: { key: string }) => f.key === 'off').value).toBe(true);
  });

  it('serves a rollout sticky per targeting key, in proportion to its percentage', async () => {
    await w.app.inject({ method: 'PATCH', url: '/api/v1/flags/on', headers: admin, payload: { state: 'ROLLOUT', percentage: 20 } });
    let enabled = 0;
    for (let i = 0; i < 150; i++) {
      const res = (await evaluate(w, 'on', { targetingKey: `tenant-${i}` })).json();
      const again = (await evaluate(w, 'on', { targetingKey: `tenant-${i}` })).json();
      expect(again.value).toBe(res.value);
      if (res.value) enabled++;
    }
    expect(enabled).toBeGreaterThan(15);
    expect(enabled).toBeLessThan(48);
  });
});
