import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { openMetadataStore, type MetadataStore } from '../src/index.js';
import { publishOutcome, type VersionRow } from '../src/storage/package-repository.js';
import type { Database } from '../src/storage/schema.js';
import type { Transaction } from 'kysely';
import { describeEachBackend, throwawayPostgres } from './helpers.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The MetadataStore contract: what every implementation must do, checked on SQLite and PostgreSQL alike. */
describeEachBackend('MetadataStore contract', (backend) => {
  let store: MetadataStore;
  let cleanup: () => Promise<void>;
  const now = '2026-01-01T00:00:00.000Z';
  const user = (name: string) => ({ id: randomUUID(), name, email: `${name}@example.com`, password_hash: 'x', role: 'publisher', created_at: now });
  const version = (pkg: string, v: string, publisher: string, blob = 'ab'.repeat(32)): VersionRow => ({
    package: pkg,
    version: v,
    manifest: JSON.stringify({ name: pkg, version: v }),
    integrity: 'sha512-x',
    shasum: '0'.repeat(40),
    size: 10,
    blob_key: blob,
    deprecated: null,
    published_at: now,
    publisher_id: publisher,
    npm_signature: null,
  });
  // Writes run in the caller's transaction, as the registry service runs them.
  const inTrx = <T>(write: (trx: Transaction<Database>) => Promise<T>) => store.db.transaction().execute(write);
  const publish = (name: string, v: string, publisher: string, tags = ['latest']) =>
    inTrx((trx) => store.packages.publish(trx, { name, scope: name.startsWith('@') ? name.slice(1, name.indexOf('/')) : null, version: version(name, v, publisher), tags, description: 'desc', readme: null, keywords: ['k'], now })).then(
      () => 'published',
      (err: unknown) => publishOutcome(err) ?? Promise.reject(err),
    );

  let alice: ReturnType<typeof user>;
  let bob: ReturnType<typeof user>;

  beforeAll(async () => {
    if (backend === 'postgres') {
      const db = await throwawayPostgres();
      store = await openMetadataStore(db.url);
      cleanup = async () => {
        await store.close();
        await db.drop();
      };
    } else {
      const dir = await mkdtemp(join(tmpdir(), 'wharf-contract-'));
      store = await openMetadataStore(join(dir, 'wharf.sqlite'));
      cleanup = async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      };
    }
    alice = user('alice');
    bob = user('bob');
    expect(await store.auth.createUser(alice)).toBe(true);
    expect(await store.auth.createUser(bob)).toBe(true);
  });
  afterAll(() => cleanup());

  it('refuses a second user with a taken name without throwing', async () => {
    expect(await store.auth.createUser({ ...user('alice') })).toBe(false);
  });

  it('finds tokens by hash only, with their user, and deletes them by key or hash for their owner only', async () => {
    const token = { key: randomUUID(), user_id: alice.id, token_hash: 'h1', token_prefix: 'wharf_abc', readonly: 0, cidr_whitelist: '[]', role: null, name: null, created_at: now, expires_at: null };
    await store.auth.createToken(token);
    expect((await store.auth.findToken('h1'))?.user.name).toBe('alice');
    expect(await store.auth.findToken('nope')).toBeNull();
    expect(await store.auth.deleteToken(bob.id, token.key)).toBe(false);
    expect(await store.auth.deleteToken(alice.id, 'h1')).toBe(true);
    expect(await store.auth.findToken('h1')).toBeNull();
  });

  it('publishes atomically: owner, scope, version and tags together', async () => {
    expect(await publish('@alice/a', '1.0.0', alice.id)).toBe('published');
    const doc = (await store.packages.getDocument('@alice/a'))!;
    expect(doc.versions.map((v) => v.version)).toEqual(['1.0.0']);
    expect(doc.tags).toEqual({ latest: '1.0.0' });
    expect(doc.owners.map((o) => o.name)).toEqual(['alice']);
    expect(doc.pkg.rev).toBe(1);
  });

  it('reports each refusal and leaves nothing behind', async () => {
    expect(await publish('@alice/a', '1.0.0', alice.id)).toBe('version-exists');
    expect(await publish('@alice/a', '1.1.0', bob.id)).toBe('not-owner');
    expect(await publish('@alice/b', '1.0.0', bob.id)).toBe('scope-taken');
    expect(await store.packages.getPackage('@alice/b')).toBeNull();
    expect((await store.packages.getDocument('@alice/a'))!.versions).toHaveLength(1);
  });

  it('lets exactly one of many concurrent publishes of a version win', async () => {
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => publish('racy', '1.0.0', alice.id)));
    expect(outcomes.filter((o) => o === 'published')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'version-exists')).toHaveLength(5);
  });

  it('lets exactly one of two users racing to create a package own it', async () => {
    const outcomes = await Promise.all([publish('contested', '1.0.0', alice.id), publish('contested', '1.0.1', bob.id)]);
    expect(outcomes.filter((o) => o === 'published')).toHaveLength(1);
    expect((await store.packages.getDocument('contested'))!.owners).toHaveLength(1);
  });

  it('removes versions, re-points latest, drops their tags and tombstones them', async () => {
    await publish('@alice/a', '1.1.0', alice.id);
    await publish('@alice/a', '2.0.0-beta.1', alice.id, ['next']);
    await inTrx((trx) => store.packages.removeVersions(trx, '@alice/a', ['1.1.0', '2.0.0-beta.1'], now));
    const doc = (await store.packages.getDocument('@alice/a'))!;
    expect(doc.tags).toEqual({ latest: '1.0.0' });
    expect(await publish('@alice/a', '1.1.0', alice.id)).toBe('version-tombstoned');
  });

  it('sets and clears deprecations and tags, bumping the revision each time', async () => {
    const rev = (await store.packages.getPackage('@alice/a'))!.rev;
    await inTrx((trx) => store.packages.setDeprecations(trx, '@alice/a', new Map([['1.0.0', 'old']]), now));
    expect((await store.packages.getVersion('@alice/a', '1.0.0'))!.deprecated).toBe('old');
    await inTrx((trx) => store.packages.setDistTag(trx, '@alice/a', 'stable', '1.0.0', now));
    expect(await inTrx((trx) => store.packages.removeDistTag(trx, '@alice/a', 'stable', now))).toBe(true);
    expect(await inTrx((trx) => store.packages.removeDistTag(trx, '@alice/a', 'stable', now))).toBe(false);
    expect((await store.packages.getPackage('@alice/a'))!.rev).toBe(rev + 4);
  });

  it('replaces owners and removes whole packages, keeping their versions tombstoned', async () => {
    await inTrx((trx) => store.packages.setOwners(trx, '@alice/a', [alice.id, bob.id], now));
    expect(await store.packages.isOwner('@alice/a', bob.id)).toBe(true);
    await inTrx((trx) => store.packages.removePackage(trx, '@alice/a', now));
    expect(await store.packages.getDocument('@alice/a')).toBeNull();
    expect(await publish('@alice/a', '1.0.0', alice.id)).toBe('version-tombstoned');
  });
});
