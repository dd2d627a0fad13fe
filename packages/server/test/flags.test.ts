import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ClientFeaturesSchema } from '@wharf/core';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';

const admin = bearer(ADMIN_TOKEN);
const specDir = join(dirname(createRequire(import.meta.url).resolve('@unleash/client-specification/package.json')), 'specifications');

const flagSet = {
  version: 1,
  segments: [{ id: 1, name: 'internal', constraints: [{ contextName: 'appName', operator: 'IN', values: ['console'] }] }],
  features: [
    { name: 'new-ui', enabled: true, strategies: [{ name: 'default' }] },
    { name: 'beta-search', enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: '25', stickiness: 'default', groupId: 'beta-search' } }] },
    { name: 'internal-tools', enabled: true, strategies: [{ name: 'default', segments: [1] }], variants: [{ name: 'blue', weight: 1000, payload: { type: 'string', value: 'b' } }] },
    { name: 'legacy', enabled: false, strategies: [{ name: 'default' }] },
  ],
};

describeEachBackend('flags admin API', (backend) => {
  let w: TestWharf;
  let releaseManager: string;
  let publisher: string;
  beforeAll(async () => {
    w = await createTestWharf(backend);
    publisher = await addUser(w, 'pub');
    releaseManager = await addUser(w, 'rm');
    const rm = await w.store.auth.getUserByName('rm');
    await w.store.db.updateTable('users').set({ role: 'release-manager' }).where('id', '=', rm!.id).execute();
  });
  afterAll(() => w.destroy());

  const auditRows = async () => (await w.audit.list({ limit: 1000 })).filter((r) => r.action.startsWith('flags.'));

  it('starts empty at version 0, in the client-features format', async () => {
    const res = await w.app.inject({ url: '/api/v1/flags', headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ version: 0, features: [], segments: [], states: {} });
    expect(res.headers.etag).toBe('"flags-0"');
  });

  it('replaces the whole set with PUT, bumps the version, audits it and reports each flag state', async () => {
    const res = await w.app.inject({ method: 'PUT', url: '/api/v1/flags', headers: bearer(releaseManager), payload: flagSet });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(ClientFeaturesSchema.parse(body).version).toBe(1);
    expect(body.states).toEqual({ 'new-ui': { state: 'ON' }, 'beta-search': { state: 'ROLLOUT', percentage: 25 }, 'internal-tools': { state: 'CUSTOM' }, legacy: { state: 'OFF' } });
    const rows = await auditRows();
    expect(rows.at(-1)).toMatchObject({ actor: 'rm', action: 'flags.replace', target: 'flags' });
    const get = await w.app.inject({ url: '/api/v1/flags', headers: admin });
    expect(get.json().features.map((f: { name: string }) => f.name)).toEqual(['new-ui', 'beta-search', 'internal-tools', 'legacy']);
    const again = await w.app.inject({ url: '/api/v1/flags', headers: { ...admin, 'if-none-match': get.headers.etag as string } });
    expect(again.statusCode).toBe(304);
  });

  it('PATCHes state, percentage and variants; each change is a new version with its audit row', async () => {
    const before = (await auditRows()).length;
    const rollout = await w.app.inject({ method: 'PATCH', url: '/api/v1/flags/new-ui', headers: admin, payload: { state: 'ROLLOUT', percentage: 10 } });
    expect(rollout.statusCode, rollout.body).toBe(200);
    expect(rollout.json()).toMatchObject({ key: 'new-ui', state: 'ROLLOUT', percentage: 10, version: 2 });
    const raised = await w.app.inject({ method: 'PATCH', url: '/api/v1/flags/new-ui', headers: admin, payload: { percentage: 50 } });
    expect(raised.json()).toMatchObject({ state: 'ROLLOUT', percentage: 50, version: 3 });
    const variants = await w.app.inject({ method: 'PATCH', url: '/api/v1/flags/new-ui', headers: admin, payload: { variants: [{ name: 'a', weight: 500 }, { name: 'b', weight: 500 }] } });
    expect(variants.json()).toMatchObject({ state: 'ROLLOUT', version: 4, feature: { variants: [{ name: 'a' }, { name: 'b' }] } });
    const created = await w.app.inject({ method: 'PATCH', url: '/api/v1/flags/brand-new', headers: admin, payload: { state: 'ON' } });
    expect(created.json()).toMatchObject({ key: 'brand-new', state: 'ON', version: 5 });
    const rows = (await auditRows()).slice(before);
    expect(rows.map((r) => [r.action, r.target])).toEqual([
      ['flags.update', 'flag:new-ui'],
      ['flags.update', 'flag:new-ui'],
      ['flags.update', 'flag:new-ui'],
      ['flags.update', 'flag:brand-new'],
    ]);
    const raise = rows[1]!;
    expect(JSON.parse(raise.before)).toMatchObject({ revision: 2, state: 'ROLLOUT', percentage: 10 });
    expect(JSON.parse(raise.after)).toMatchObject({ revision: 3, state: 'ROLLOUT', percentage: 50 });
    expect(JSON.parse(rows[3]!.before)).toMatchObject({ revision: 4 });
  });

  it('FORCE_OFF serves the flag disabled and survives a whole-set PUT until a new state lifts it', async () => {
    const kill = await w.app.inject({ method: 'PATCH', url: '/api/v1/flags/new-ui', headers: admin, payload: { state: 'FORCE_OFF' } });
    expect(kill.json()).toMatchObject({ state: 'FORCE_OFF' });
    const served = await w.app.inject({ url: '/api/client/features' });
    expect(served.json().features.find((f: { name: string }) => f.name === 'new-ui').enabled).toBe(false);
    const put = await w.app.inject({ method: 'PUT', url: '/api/v1/flags', headers: admin, payload: flagSet });
    expect(put.json().states['new-ui']).toEqual({ state: 'FORCE_OFF' });
    const lift = await w.app.inject({ method: 'PATCH', url: '/api/v1/flags/new-ui', headers: admin, payload: { state: 'ON' } });
    expect(lift.json()).toMatchObject({ state: 'ON' });
    const after = await w.app.inject({ url: '/api/client/features' });
    expect(after.json().features.find((f: { name: string }) => f.name === 'new-ui').enabled).toBe(true);
  });

  it('refuses bad input with 400 JSON, unknown flags with 404, stale If-Match with 412', async () => {
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['PUT', '/api/v1/flags', { version: 1, features: [{ name: 'x' }] }, 400, /invalid flag set at features\.0\.enabled/],
      ['PUT', '/api/v1/flags', { version: 1, features: [{ name: 'x', enabled: true }, { name: 'x', enabled: false }] }, 400, /defined twice/],
      ['PUT', '/api/v1/flags', { version: 1, features: [{ name: 'x', enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'a', operator: 'NUM_GT', value: 'abc' }] }] }] }, 400, /numeric value/],
      ['PUT', '/api/v1/flags', [1, 2], 400, /invalid flag set/],
      ['PATCH', '/api/v1/flags/legacy', { state: 'MAYBE' }, 400, /invalid request body at state/],
      ['PATCH', '/api/v1/flags/legacy', { percentage: 20 }, 400, /only to a flag in the ROLLOUT state/],
      ['PATCH', '/api/v1/flags/legacy', { state: 'ROLLOUT' }, 400, /needs a percentage/],
      ['PATCH', '/api/v1/flags/legacy', { state: 'ROLLOUT', percentage: 101 }, 400, /percentage/],
      ['PATCH', '/api/v1/flags/legacy', {}, 400, /at least one of/],
      ['PATCH', '/api/v1/flags/legacy', { variants: [{ name: 'v', weight: 0 }] }, 400, /weights add up to 0/],
      ['PATCH', '/api/v1/flags/nope', { percentage: 5 }, 404, /does not exist/],
      // A state can create the flag, so what is missing or wrong in the patch is a 400, not a 404.
      ['PATCH', '/api/v1/flags/brand-new', { state: 'ROLLOUT' }, 400, /ROLLOUT needs a percentage/],
      ['PATCH', '/api/v1/flags/brand-new', { state: 'ON', percentage: 5 }, 400, /only to a flag in the ROLLOUT state/],
      // Keys may be UTF-8 (Unleash's spec 18), never spaces, URL delimiters or two spellings of one letter.
      ['PATCH', '/api/v1/flags/%20', { state: 'ON' }, 400, /invalid path parameter at key: a flag key is 1 to 100 letters/],
      ['PATCH', '/api/v1/flags/a%2Fb', { state: 'ON' }, 400, /flag key/],
      ['PATCH', '/api/v1/flags/a%3Fb', { state: 'ON' }, 400, /flag key/],
      ['PATCH', '/api/v1/flags/a%25b', { state: 'ON' }, 400, /flag key/],
      ['PATCH', `/api/v1/flags/${encodeURIComponent('cafe\u0301')}`, { state: 'ON' }, 400, /normal form C/],
      ['PATCH', `/api/v1/flags/${encodeURIComponent('a\u200bb')}`, { state: 'ON' }, 400, /flag key/],
      ['PATCH', `/api/v1/flags/${'k'.repeat(101)}`, { state: 'ON' }, 400, /flag key/],
      ['PATCH', '/api/v1/flags/a%00b', { state: 'ON' }, 400, /./],
      ['PUT', '/api/v1/flags', { version: 1, features: [{ name: 'ok', enabled: true }, { name: 'a/b', enabled: true }] }, 400, /invalid flag set at features\.1\.name: a flag key/],
      ['PUT', '/api/v1/flags', { version: 1, features: [{ name: ' ', enabled: true }] }, 400, /features\.0\.name/],
      ['PUT', '/api/v1/flags', { version: 1, features: [{ name: 'nul\u0000', enabled: true }] }, 400, /./],
    ];
    for (const [method, url, payload, status, message] of cases) {
      const res = await w.app.inject({ method: method as 'PUT' | 'PATCH', url, headers: admin, payload: payload as object });
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(payload)}: ${res.body}`).toBe(status);
      expect(res.json().error).toMatch(message);
    }
    const keys = (await w.app.inject({ url: '/api/v1/flags', headers: admin })).json().features.map((f: { name: string }) => f.name);
    expect(keys, 'no refused patch created a flag').not.toContain('brand-new');
    const longest = 'team:checkout.v2_beta-1'.padEnd(100, 'x');
    const created = await w.app.inject({ method: 'PATCH', url: `/api/v1/flags/${longest}`, headers: admin, payload: { state: 'ROLLOUT', percentage: 10 } });
    expect(created.statusCode, created.body).toBe(200);
    expect(created.json()).toMatchObject({ key: longest, state: 'ROLLOUT', percentage: 10 });
    const notJson = await w.app.inject({ method: 'PUT', url: '/api/v1/flags', headers: { ...admin, 'content-type': 'application/json' }, payload: '{oops' });
    expect(notJson.statusCode).toBe(400);
    const stale = await w.app.inject({ method: 'PUT', url: '/api/v1/flags', headers: { ...admin, 'if-match': '"flags-1"' }, payload: flagSet });
    expect(stale.statusCode).toBe(412);
  });

  it("accepts the UTF-8 names of Unleash's client specification wherever a key is used, percent-encoded in URLs", async () => {
    const spec = JSON.parse(readFileSync(join(specDir, '18-utf8-flag-names.json'), 'utf8')) as { state: { features: { name: string }[] } };
    const names = spec.state.features.map((f) => f.name);
    expect(names).toEqual(['Feature.UTF-8.Hellø_Wørld', 'Feature.UTF-8.😊_φriend_你好_🌍']);
    const put = await w.app.inject({ method: 'PUT', url: '/api/v1/flags', headers: admin, payload: spec.state });
    expect(put.statusCode, put.body).toBe(200);
    const [plain, emoji] = names as [string, string];
    const patched = await w.app.inject({ method: 'PATCH', url: `/api/v1/flags/${encodeURIComponent(emoji)}`, headers: admin, payload: { state: 'ROLLOUT', percentage: 30 } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ key: emoji, state: 'ROLLOUT', percentage: 30 });
    const created = await w.app.inject({ method: 'PATCH', url: `/api/v1/flags/${encodeURIComponent('café-ünïcode~1')}`, headers: admin, payload: { state: 'ON' } });
    expect(created.statusCode, created.body).toBe(200);

    const served = ClientFeaturesSchema.parse((await w.app.inject({ url: '/api/client/features' })).json());
    expect(served.features.map((f) => f.name)).toEqual(expect.arrayContaining([plain, emoji, 'café-ünïcode~1']));
    const ofrep = await w.app.inject({ method: 'POST', url: `/ofrep/v1/evaluate/flags/${encodeURIComponent(plain)}`, payload: { context: {} } });
    expect(ofrep.statusCode, ofrep.body).toBe(200);
    expect(ofrep.json()).toMatchObject({ key: plain, value: true });
    const audit = await w.app.inject({ url: `/api/v1/audit?target=${encodeURIComponent(`flag:${emoji}`)}`, headers: admin });
    expect(audit.json().entries).toEqual([expect.objectContaining({ action: 'flags.update', target: `flag:${emoji}` })]);
  });

  it('lets admins and release managers write, readers of other roles not at all', async () => {
    expect((await w.app.inject({ url: '/api/v1/flags' })).statusCode).toBe(401);
    expect((await w.app.inject({ url: '/api/v1/flags', headers: bearer(publisher) })).statusCode).toBe(403);
    expect((await w.app.inject({ method: 'PATCH', url: '/api/v1/flags/legacy', headers: bearer(publisher), payload: { state: 'ON' } })).statusCode).toBe(403);
    expect((await w.app.inject({ method: 'PUT', url: '/api/v1/flags', payload: flagSet })).statusCode).toBe(401);
    expect((await w.app.inject({ method: 'PATCH', url: '/api/v1/flags/legacy', headers: bearer(releaseManager), payload: { state: 'ON' } })).statusCode).toBe(200);
  });

  it('announces every change on the event bus with the new version', async () => {
    const seen: unknown[] = [];
    const unsubscribe = w.events.subscribe((e) => e.type === 'flags.changed' && seen.push(e.data));
    const res = await w.app.inject({ method: 'PATCH', url: '/api/v1/flags/legacy', headers: admin, payload: { state: 'OFF' } });
    const version = res.json().version;
    await expect.poll(() => seen).toContainEqual({ version, keys: ['legacy'] });
    unsubscribe();
  });
});
