import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AnalyticsRepository } from '../src/analytics/analytics-repository.js';
import { AnalyticsService } from '../src/analytics/analytics-service.js';
import { RetentionJob } from '../src/analytics/retention-job.js';
import { PrivacyRepository } from '../src/analytics/privacy-repository.js';
import { generateKeyPair } from '@wharf/core';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { encodeName, publishBody } from './support/packages.js';
import { publish as trustPublish } from './trust-helpers.js';

const admin = bearer(ADMIN_TOKEN);
const DAY = 86_400_000;

describeEachBackend('analytics and personal data', (backend) => {
  let w: TestWharf;
  let alice: string;
  let bob: string;
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers: Record<string, string> = {}, payload?: unknown) =>
    w.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    w = await createTestWharf(backend);
    alice = await addUser(w, 'alice');
    bob = await addUser(w, 'bob');
    const put = await call('PUT', `/${encodeName('@alice/outline')}`, bearer(alice), publishBody('@alice/outline', '1.0.0').body);
    expect(put.statusCode, put.body).toBe(201);
    const listed = await call('POST', '/api/v1/plugins', bearer(alice), { id: 'org.alice.outline', name: 'Outline', description: 'Outline navigator', category: 'navigation', package: '@alice/outline' });
    expect(listed.statusCode, listed.body).toBe(201);
    await call('PUT', '/api/v1/moderation/plugins/org.alice.outline/state', admin, { state: 'published' });
  });
  afterAll(() => w.destroy());

  describe('opt-in counters', () => {
    it('refuses reports without the explicit opt-in', async () => {
      const counters = [{ plugin: 'org.alice.outline', activations: 3 }];
      expect((await call('POST', '/api/v1/analytics', {}, { counters })).statusCode).toBe(400);
      const refused = await call('POST', '/api/v1/analytics', {}, { optIn: false, counters });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error).toMatch(/opt-in/);
    });

    it('refuses malformed counters, unknown fields and days outside the kept window', async () => {
      for (const body of [
        { optIn: true, counters: [] },
        { optIn: true, counters: [{ plugin: 'org.alice.outline', activations: -1 }] },
        { optIn: true, counters: [{ plugin: 'org.alice.outline', activations: 1.5 }] },
        { optIn: true, counters: [{ plugin: 'org.alice.outline', activations: 1, userId: 'u-1' }] },
        { optIn: true, counters: [{ plugin: 'org.alice.outline', activations: 1 }], deviceId: 'abc' },
        { optIn: true, day: '2001-01-01', counters: [{ plugin: 'org.alice.outline', activations: 1 }] },
        { optIn: true, day: 'yesterday', counters: [{ plugin: 'org.alice.outline', activations: 1 }] },
        { optIn: true, counters: Array.from({ length: 101 }, () => ({ plugin: 'org.alice.outline', activations: 1 })) },
      ]) {
        expect((await call('POST', '/api/v1/analytics', {}, body)).statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      }
    });

    it('stores aggregated counters with nothing about the sender, and sums them per day', async () => {
      const today = new Date().toISOString().slice(0, 10);
      const body = { optIn: true, counters: [{ plugin: 'org.alice.outline', version: '1.0.0', installs: 1, activations: 5, errors: 1 }, { plugin: 'com.unknown.plugin', activations: 2 }] };
      const first = await call('POST', '/api/v1/analytics', { ...bearer(bob), 'user-agent': 'HostApp/1.0 (bob-laptop)' }, body);
      expect(first.statusCode, first.body).toBe(202);
      expect(first.json()).toEqual({ accepted: 1 });
      await call('POST', '/api/v1/analytics', {}, { optIn: true, counters: [{ plugin: 'org.alice.outline', activations: 2 }] });
      const stats = await call('GET', '/api/v1/plugins/org.alice.outline/stats?days=7');
      expect(stats.json()).toEqual({ id: 'org.alice.outline', days: [{ day: today, installs: 1, activations: 7, errors: 1 }] });
      const rows = await w.store.db.selectFrom('analytics_events').selectAll().execute();
      expect(rows).toHaveLength(2);
      const bobId = (await w.store.auth.getUserByName('bob'))!.id;
      const stored = JSON.stringify(rows);
      for (const personal of [bobId, 'bob', 'bob-laptop', '127.0.0.1']) expect(stored).not.toContain(personal);
      // Arrival time is kept to the hour only.
      for (const row of rows) expect(row.received_at).toMatch(/T\d\d:00:00\.000Z$/);
      expect((await call('GET', '/api/v1/plugins/org.alice.outline/stats?days=1000')).statusCode).toBe(400);
    });
  });

  describe('retention', () => {
    it('purges raw events older than 90 days, on an injected clock', async () => {
      let now = new Date('2026-03-01T12:00:00.000Z');
      const service = new AnalyticsService(w.store.db, new AnalyticsRepository(w.store.db), w.marketplace.service.repo, () => now);
      const repo = new AnalyticsRepository(w.store.db);
      const before = await repo.countEvents();
      expect((await service.record({ optIn: true, counters: [{ plugin: 'org.alice.outline', installs: 0, activations: 1, errors: 0 }] })).accepted).toBe(1);
      now = new Date(now.getTime() + 89 * DAY);
      expect(await service.purgeExpired()).toBe(0);
      expect(await repo.countEvents()).toBe(before + 1);
      now = new Date(now.getTime() + 2 * DAY);
      expect(await service.purgeExpired()).toBe(1);
      expect(await repo.countEvents()).toBe(before);
      // The daily sums are not personal data and stay.
      expect((await repo.daily('org.alice.outline', '2026-03-01'))[0]).toMatchObject({ day: '2026-03-01', activations: 1 });
    });
  });

  describe('GDPR export and erasure', () => {
    it('exports what the server holds about the caller, never token secrets', async () => {
      expect((await call('GET', '/api/v1/users/me/data')).statusCode).toBe(401);
      await call('POST', '/api/v1/plugins/org.alice.outline/reviews', bearer(bob), { rating: 4, body: 'Handy.' });
      await call('POST', '/api/v1/plugins/org.alice.outline/reports', bearer(bob), { reason: 'broken', details: 'does not load' });
      const res = await call('GET', '/api/v1/users/me/data', bearer(bob));
      expect(res.statusCode).toBe(200);
      const data = res.json();
      expect(data.user).toMatchObject({ name: 'bob', email: 'bob@example.com' });
      expect(data.tokens).toHaveLength(1);
      expect(JSON.stringify(data)).not.toContain(bob);
      expect(data.reviews).toMatchObject([{ pluginId: 'org.alice.outline', rating: 4, body: 'Handy.' }]);
      expect(data.reports).toMatchObject([{ pluginId: 'org.alice.outline', reason: 'broken', details: 'does not load' }]);
      const mine = (await call('GET', '/api/v1/users/me/data', bearer(alice))).json();
      expect(mine.packages).toEqual(['@alice/outline']);
      expect(mine.scopes).toEqual(['alice']);
      expect(mine.versions).toMatchObject([{ package: '@alice/outline', version: '1.0.0' }]);
      expect(mine.provenance).toMatchObject([{ package: '@alice/outline', version: '1.0.0', publisher: 'alice', developerKeyid: null }]);
      expect(mine.listings).toEqual(['org.alice.outline']);
    });

    it('anonymises the account: no name, email, password or tokens; reviews stay without author', async () => {
      const bobId = (await w.store.auth.getUserByName('bob'))!.id;
      const res = await call('DELETE', '/api/v1/users/me', bearer(bob));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ outcome: 'anonymised', reviewsAnonymised: 1, tokensRevoked: 1, versionsAnonymised: 0 });
      expect((await call('GET', '/-/whoami', bearer(bob))).statusCode).toBe(401);
      expect(await w.store.auth.getUserByName('bob')).toBeNull();
      const row = (await w.store.auth.getUserById(bobId))!;
      expect(row).toMatchObject({ email: null, password_hash: '!', role: 'reader' });
      expect(row.name).toMatch(/^deleted-[0-9a-f]{12}$/);
      const reviews = (await call('GET', '/api/v1/plugins/org.alice.outline/reviews')).json().reviews;
      expect(reviews).toMatchObject([{ author: null, rating: 4, body: 'Handy.' }]);
      expect((await call('GET', '/api/v1/plugins/org.alice.outline')).json().rating).toEqual({ average: 4, count: 1 });
      const reports = await w.store.db.selectFrom('moderation_reports').select('reporter_id').execute();
      expect(reports.every((r) => r.reporter_id === null)).toBe(true);
      // The name is free again: a new account under it shares nothing with the erased one.
      const again = await addUser(w, 'bob');
      expect((await call('GET', '/api/v1/users/me/data', bearer(again))).json().reviews).toEqual([]);
    });

    it('keeps package ownership of an erased owner, refuses read-only tokens and the built-in admin', async () => {
      const tokenRes = await call('POST', '/-/npm/v1/tokens', bearer(alice), { password: 'a-long-password-123', readonly: true });
      expect(tokenRes.statusCode, tokenRes.body).toBe(201);
      expect((await call('DELETE', '/api/v1/users/me', bearer(tokenRes.json().token))).statusCode).toBe(403);
      expect((await call('DELETE', '/api/v1/users/me', admin)).statusCode).toBe(403);
      const aliceId = (await w.store.auth.getUserByName('alice'))!.id;
      expect((await call('DELETE', '/api/v1/users/me', bearer(alice))).statusCode).toBe(200);
      expect(await w.store.packages.isOwner('@alice/outline', aliceId)).toBe(true);
      expect((await call('GET', '/api/v1/plugins/org.alice.outline')).statusCode).toBe(200);
    });
  });

  describe('erasure of a publisher', () => {
    const EMAIL = 'quentin@example.com';
    let quentin: string;
    let dave: string;
    let keyid: string;
    let quentinId: string;
    /** Everything served that could name a publisher, by what an outsider or a co-owner can read. */
    const served = async () => {
      const get = async (url: string, headers: Record<string, string> = {}) => {
        const res = await call('GET', url, headers);
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
        return res.body;
      };
      return {
        full: await get('/lantern-kit', { accept: 'application/json' }),
        abbreviated: await get('/lantern-kit', { accept: 'application/vnd.npm.install-v1+json' }),
        version: await get('/lantern-kit/1.0.0'),
        npmSearch: await get('/-/v1/search?text=lantern'),
        listing: await get('/api/v1/plugins/org.lantern.kit'),
        listingVersions: await get('/api/v1/plugins/org.lantern.kit/versions'),
        marketSearch: await get('/api/v1/search?q=lantern'),
        coOwnerExport: await get('/api/v1/users/me/data', bearer(dave)),
        targets: await get('/trust/targets.json'),
        catalog: await get('/catalog.json'),
      };
    };

    beforeAll(async () => {
      quentin = await addUser(w, 'quentin');
      dave = await addUser(w, 'dave');
      quentinId = (await w.store.auth.getUserByName('quentin'))!.id;
      const key = await generateKeyPair();
      keyid = key.keyid;
      expect((await call('POST', '/trust/keys', bearer(quentin), { public: key.keyval.public, name: 'quentin laptop' })).statusCode).toBe(201);
      expect((await trustPublish(w, quentin, 'lantern-kit', '1.0.0', key)).statusCode).toBe(201);
      const doc = (await call('GET', '/lantern-kit?write=true', { accept: 'application/json' })).json();
      const owners = await call('PUT', `/lantern-kit/-rev/${doc._rev}`, bearer(quentin), { ...doc, maintainers: [...doc.maintainers, { name: 'dave', email: 'dave@example.com' }] });
      expect(owners.statusCode, owners.body).toBeLessThan(300);
      expect((await trustPublish(w, dave, 'lantern-kit', '1.1.0')).statusCode).toBe(201);
      // The latest version is quentin's, so npm search names him as its publisher.
      expect((await trustPublish(w, quentin, 'lantern-kit', '1.2.0')).statusCode).toBe(201);
      const listed = await call('POST', '/api/v1/plugins', bearer(quentin), {
        id: 'org.lantern.kit', name: 'Lantern', description: 'Lights the way', category: 'navigation', package: 'lantern-kit', publisher: `Q. <${EMAIL}>`,
      });
      expect(listed.statusCode, listed.body).toBe(201);
      expect((await call('PUT', '/api/v1/moderation/plugins/org.lantern.kit/state', admin, { state: 'published' })).statusCode).toBe(200);
      expect((await call('PUT', '/api/v1/users/quentin/role', admin, { role: 'publisher' })).statusCode).toBe(200);
      await w.marketplace.packages.idle();
    });

    it('exports published versions, signing keys, provenance, token metadata and audit entries', async () => {
      const data = (await call('GET', '/api/v1/users/me/data', bearer(quentin))).json();
      expect(data.versions).toMatchObject([{ package: 'lantern-kit', version: '1.0.0' }, { package: 'lantern-kit', version: '1.2.0' }]);
      expect(data.versions.every((v: { publishedAt: string }) => !Number.isNaN(Date.parse(v.publishedAt)))).toBe(true);
      expect(data.signingKeys).toMatchObject([{ keyid, name: 'quentin laptop', revokedAt: null }]);
      expect(data.signingKeys[0].publicKey).toMatch(/^[0-9a-f]{64}$/);
      expect(data.provenance).toMatchObject([
        { package: 'lantern-kit', version: '1.0.0', publisher: 'quentin', developerKeyid: keyid },
        { package: 'lantern-kit', version: '1.2.0', publisher: 'quentin', developerKeyid: null },
      ]);
      expect(data.tokens).toMatchObject([{ readonly: false, role: null, cidrWhitelist: [] }]);
      expect(JSON.stringify(data)).not.toContain(quentin);
      expect(data.audit).toMatchObject([{ action: 'users.set-role', target: 'user:quentin' }]);
      expect(data).toMatchObject({ packages: ['lantern-kit'], scopes: [], listings: ['org.lantern.kit'] });
      // The co-owner's export is about the co-owner only.
      const daves = (await call('GET', '/api/v1/users/me/data', bearer(dave))).json();
      expect(daves.versions).toMatchObject([{ package: 'lantern-kit', version: '1.1.0' }]);
      expect(daves.signingKeys).toEqual([]);
    });

    it('leaves no email or name in packuments, npm search, listings, exports or caches warmed before', async () => {
      const before = await served();
      // The checks below can fail: these views name quentin until he is erased.
      for (const view of ['full', 'version', 'npmSearch', 'listing'] as const) expect(before[view], view).toContain(EMAIL);
      // Signed metadata never named anyone, so erasure has nothing to re-sign.
      for (const view of ['targets', 'catalog'] as const) expect(before[view], view).not.toMatch(/quentin/i);
      const etag = (await call('GET', '/lantern-kit', { accept: 'application/json' })).headers.etag as string;

      const res = await call('DELETE', '/api/v1/users/me', bearer(quentin));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ outcome: 'anonymised', reviewsAnonymised: 0, tokensRevoked: 1, versionsAnonymised: 2 });
      await w.marketplace.packages.idle();

      const after = await served();
      for (const [view, body] of Object.entries(after)) {
        expect(body, view).not.toContain(EMAIL);
        expect(body, view).not.toMatch(/quentin/i);
      }
      expect((await call('GET', '/lantern-kit', { accept: 'application/json', 'if-none-match': etag })).statusCode).toBe(200);

      const placeholder = (await w.store.auth.getUserById(quentinId))!.name;
      const full = JSON.parse(after.full);
      expect(full.versions['1.0.0']._npmUser).toEqual({ name: placeholder, email: '' });
      expect(full.versions['1.2.0']._npmUser).toEqual({ name: placeholder, email: '' });
      expect(full.versions['1.1.0']._npmUser).toEqual({ name: 'dave', email: 'dave@example.com' });
      expect(full.maintainers).toEqual([{ name: 'dave', email: 'dave@example.com' }, { name: placeholder, email: '' }]);
      expect(full.versions['1.0.0'].dist.integrity).toMatch(/^sha512-/);
      expect(JSON.parse(after.npmSearch).objects[0].package.publisher).toEqual({ username: placeholder, email: '' });
      expect(JSON.parse(after.listing).publisher).toBeNull();

      // What the server still holds about the erased account: the signed provenance keeps the name it was made with.
      const held = (await new PrivacyRepository(w.store.db).export(quentinId))!;
      expect(held.provenance.map((p) => p.publisher)).toEqual(['quentin', 'quentin']);
      expect(held.keys).toMatchObject([{ keyid, name: null }]);
      const { provenance: _signed, ...rest } = held;
      expect(JSON.stringify(rest)).not.toMatch(/quentin/i);

      // A new account under the name inherits nothing.
      const again = (await call('GET', '/api/v1/users/me/data', bearer(await addUser(w, 'quentin')))).json();
      expect(again).toMatchObject({ versions: [], signingKeys: [], provenance: [], audit: [], packages: [], listings: [] });
    });
  });
});

describe('retention job', () => {
  afterEach(() => vi.useRealTimers());

  it('purges at start and then on every interval until stopped', async () => {
    vi.useFakeTimers();
    const runs: number[] = [];
    const job = new RetentionJob(async () => runs.push(Date.now()), 60_000, () => {});
    job.start();
    await job.idle();
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000 * 3);
    await job.idle();
    expect(runs).toHaveLength(4);
    await job.stop();
    await vi.advanceTimersByTimeAsync(60_000 * 3);
    expect(runs).toHaveLength(4);
  });

  it('reports a failed run and keeps the schedule', async () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    let calls = 0;
    const job = new RetentionJob(async () => (++calls === 1 ? Promise.reject(new Error('db down')) : 0), 1000, (err) => errors.push(err));
    job.start();
    await job.idle();
    await vi.advanceTimersByTimeAsync(1000);
    await job.idle();
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
    await job.stop();
  });
});
