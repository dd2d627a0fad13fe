import { afterAll, beforeAll, expect, it } from 'vitest';
import { ReleaseGateSchema } from '@wharf/core';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';


describeEachBackend('version gate', (backend) => {
  let w: TestWharf;
  let publisher: string;
  const admin = bearer(ADMIN_TOKEN);
  beforeAll(async () => {
    w = await createTestWharf(backend);
    publisher = await addUser(w, 'pat');
  });
  afterAll(() => w.destroy());

  const gate = (version?: string) => w.app.inject({ url: '/meta/release', headers: version === undefined ? {} : { 'x-client-version': version } });
  const setPolicy = (policy: object, headers: Record<string, string> = admin) => w.app.inject({ method: 'PUT', url: '/api/v1/release', headers, payload: policy });
  const base = { latest: '3.1.0', minSupported: '2.0.0', message: 'Please update', url: 'https://example.com/download' };

  it('answers 200 with no policy set, and 400 without a usable client version', async () => {
    const res = await gate('1.0.0');
    expect(res.statusCode).toBe(200);
    expect(ReleaseGateSchema.parse(res.json())).toMatchObject({ latest: null, requiresUpdate: false, mode: 'SOFT_BLOCK', publishedConfigVersion: null });
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await gate()).statusCode).toBe(400);
    expect((await gate('not-a-version')).statusCode).toBe(400);
  });

  it('is set by release managers only, validated', async () => {
    expect((await setPolicy({ ...base, mode: 'SOFT_BLOCK' }, {})).statusCode).toBe(401);
    expect((await setPolicy({ ...base, mode: 'SOFT_BLOCK' }, bearer(publisher))).statusCode).toBe(403);
    expect((await setPolicy({ ...base, mode: 'PANIC' })).statusCode).toBe(400);
    expect((await setPolicy({ ...base, minSupported: '9.0.0', mode: 'SOFT_BLOCK' })).statusCode).toBe(400);
    expect((await setPolicy({ ...base, mode: 'SOFT_BLOCK' })).statusCode).toBe(200);
    expect((await w.app.inject({ url: '/api/v1/release', headers: admin })).json()).toMatchObject({ ...base, mode: 'SOFT_BLOCK' });
  });

  it('SOFT_BLOCK: 200 with requiresUpdate below minSupported, and the published config version', async () => {
    await w.app.inject({ method: 'POST', url: '/api/v1/snapshots/draft', headers: admin, payload: { document: { a: 1 } } });
    await w.app.inject({ method: 'POST', url: '/api/v1/snapshots/publish', headers: admin });
    const old = await gate('1.5.0');
    expect(old.statusCode).toBe(200);
    expect(old.json()).toEqual({ ...base, publishedConfigVersion: 1, requiresUpdate: true, updateAvailable: true, mode: 'SOFT_BLOCK' });
    expect((await gate('3.1.0')).json()).toMatchObject({ requiresUpdate: false, updateAvailable: false });
  });

  it('HARD_BLOCK: 426 below minSupported, 200 from minSupported up', async () => {
    await setPolicy({ ...base, mode: 'HARD_BLOCK' });
    const old = await gate('1.5.0');
    expect(old.statusCode).toBe(426);
    expect(old.json()).toMatchObject({ requiresUpdate: true, mode: 'HARD_BLOCK', url: base.url, message: base.message });
    expect((await gate('2.0.0')).statusCode).toBe(200);
  });

  it('MAINTENANCE: 503 for every version, with Retry-After', async () => {
    await setPolicy({ ...base, mode: 'MAINTENANCE', message: 'Back at 10:00', retryAfterSeconds: 600 });
    for (const v of ['1.0.0', '3.1.0']) {
      const res = await gate(v);
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('600');
      expect(res.json()).toMatchObject({ mode: 'MAINTENANCE', message: 'Back at 10:00' });
    }
  });

  it('audits every policy change with before and after', async () => {
    const page = (await w.app.inject({ url: '/api/v1/audit?action=release.set', headers: admin })).json();
    expect(page.entries.map((e: { after: { mode: string } }) => e.after.mode)).toEqual(['SOFT_BLOCK', 'HARD_BLOCK', 'MAINTENANCE']);
    expect(page.entries[1].before.mode).toBe('SOFT_BLOCK');
  });
});
