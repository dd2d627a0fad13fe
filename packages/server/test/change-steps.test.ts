import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, addUser, createTestWharf, type TestWharf } from './helpers.js';
import { publish } from './trust-helpers.js';

describe('the steps a change sets off', () => {
  let w: TestWharf | undefined;
  afterEach(async () => {
    await w?.destroy();
    w = undefined;
  });

  it('are registered in one place, in the order they run', async () => {
    w = await createTestWharf('sqlite');
    expect(w.domainEvents.describe()).toEqual([
      { type: 'version.publishing', kind: 'validator', step: 'vulnerability policy' },
      { type: 'version.publishing', kind: 'validator', step: 'publisher signature and signature policy' },
      { type: 'version.published', kind: 'listener', step: 'SBOM and vulnerability flags' },
      { type: 'version.published', kind: 'listener', step: 'countersignature, provenance and signed targets' },
      { type: 'version.published', kind: 'listener', step: 'search index' },
      { type: 'version.published', kind: 'listener', step: 'delta builds (queued)' },
      { type: 'package.changed', kind: 'listener', step: 'CDN purge of the package' },
      { type: 'deltas.offered', kind: 'listener', step: 'signed targets listing the deltas' },
      { type: 'targets.issued', kind: 'listener', step: 'signed catalog rebuild' },
      { type: 'catalog.changed', kind: 'listener', step: 'CDN purge of /catalog.json' },
      { type: 'catalog.changed', kind: 'listener', step: 'announced on the event bus (every replica, GET /events)' },
      { type: 'flags.changed', kind: 'listener', step: 'signed catalog rebuild' },
      { type: 'flags.changed', kind: 'listener', step: 'announced on the event bus (every replica, GET /events)' },
      { type: 'rollout.changed', kind: 'listener', step: 'signed catalog rebuild' },
      { type: 'rollout.changed', kind: 'listener', step: 'announced on the event bus (every replica, GET /events)' },
      { type: 'snapshot.published', kind: 'listener', step: 'signed catalog rebuild' },
      { type: 'snapshot.published', kind: 'listener', step: 'announced on the event bus (every replica, GET /events)' },
      { type: 'release.changed', kind: 'listener', step: 'signed catalog rebuild' },
      { type: 'release.changed', kind: 'listener', step: 'announced on the event bus (every replica, GET /events)' },
      { type: 'config.changed', kind: 'listener', step: 'signed catalog rebuild' },
      { type: 'config.changed', kind: 'listener', step: 'announced on the event bus (every replica, GET /events)' },
    ]);
  });

  it('go on after one fails: the publish stands, the failure is logged with the step\'s name', async () => {
    const lines: string[] = [];
    w = await createTestWharf('sqlite', { logLevel: 'error' }, { logStream: { write: (l) => void lines.push(l) } });
    const later: string[] = [];
    w.domainEvents.on('version.published', 'a broken step', () => {
      throw new Error('disk on fire');
    });
    w.domainEvents.on('version.published', 'a later step', (v) => void later.push(`${v.name}@${v.version}`));
    const token = await addUser(w, 'stepper');
    expect((await publish(w, token, '@steps/one', '1.0.0')).statusCode).toBe(201);
    expect(later).toEqual(['@steps/one@1.0.0']);
    const failure = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.step === 'a broken step');
    expect(failure).toMatchObject({ event: 'version.published', package: '@steps/one', version: '1.0.0', err: { message: 'disk on fire' } });
  });

  it('take control-plane changes the same way: each runs its steps here and reaches the bus and the catalog', async () => {
    w = await createTestWharf('sqlite');
    const heard: string[] = [];
    for (const type of ['flags.changed', 'release.changed', 'config.changed', 'snapshot.published'] as const) {
      w.domainEvents.on(type, 'a test step', () => void heard.push(type));
    }
    const onBus: string[] = [];
    w.events.subscribe((e) => void onBus.push(e.type));
    const before = (await w.catalog.current()).version;
    const as = async (method: 'PUT' | 'PATCH' | 'POST', url: string, payload?: unknown) => {
      const res = await w!.app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    };

    await as('PATCH', '/api/v1/flags/dark-mode', { state: 'ON' });
    await as('PUT', '/api/v1/release', { latest: '2.0.0', minSupported: null, message: null, url: null, mode: 'SOFT_BLOCK' });
    await as('PUT', '/api/v1/config/marketplace_source', { type: 'git', priority: ['git'], sources: { git: 'http://127.0.0.1:9/plugins/' } });
    await as('POST', '/api/v1/snapshots/draft', { document: { a: 1 } });
    await as('POST', '/api/v1/snapshots/publish');

    expect(heard).toEqual(['flags.changed', 'release.changed', 'config.changed', 'snapshot.published']);
    expect(onBus).toEqual(expect.arrayContaining(heard));
    // The flag is in the next signed catalog this replica serves, without waiting for any timer.
    const after = await w.catalog.current();
    expect(after.version).toBeGreaterThan(before);
    expect(after.body.toString()).toContain('"dark-mode"');
    expect(onBus).toContain('catalog.changed');
  });
});
