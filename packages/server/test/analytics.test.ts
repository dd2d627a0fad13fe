import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AnalyticsRepository } from '../src/analytics/analytics-repository.js';
import { AnalyticsService } from '../src/analytics/analytics-service.js';
import { RetentionJob } from '../src/analytics/retention-job.js';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { encodeName, publishBody } from './support/packages.js';

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
      const service = new AnalyticsService(new AnalyticsRepository(w.store.db), w.marketplace.service.repo, () => now);
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
      expect(mine.listings).toEqual(['org.alice.outline']);
    });

    it('anonymises the account: no name, email, password or tokens; reviews stay without author', async () => {
      const bobId = (await w.store.auth.getUserByName('bob'))!.id;
      const res = await call('DELETE', '/api/v1/users/me', bearer(bob));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ outcome: 'anonymised', reviewsAnonymised: 1, tokensRevoked: 1 });
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
