import { METADATA_CACHE } from '../src/cdn/index.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { generateKeyPair, parseEnvelope, resolveVersion, signCatalog, verifyCatalog, type Catalog, type RootSigned, type TrustErrorCode } from '@wharf/core';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { publish } from './trust-helpers.js';

describeEachBackend('signed catalog (/catalog.json)', (backend) => {
  let w: TestWharf;
  let token: string;
  let root: RootSigned;
  const read = async (minVersion?: number): Promise<{ catalog: Catalog; etag: string; text: string }> => {
    const res = await w.app.inject({ url: '/catalog.json' });
    expect(res.statusCode, res.body).toBe(200);
    return { catalog: await verifyCatalog(res.body, { root, now: new Date(), minVersion }), etag: res.headers.etag as string, text: res.body };
  };
  const refusal = async (text: string, opts: { minVersion?: number; now?: Date } = {}): Promise<TrustErrorCode | null> =>
    verifyCatalog(text, { root, now: opts.now ?? new Date(), minVersion: opts.minVersion }).then(
      () => null,
      (err: { code: TrustErrorCode }) => err.code,
    );

  beforeAll(async () => {
    w = await createTestWharf(backend);
    token = await addUser(w, 'author');
    root = parseEnvelope('root', (await w.app.inject({ url: '/trust/root.json' })).body).signed;
  });
  afterAll(() => w.destroy());

  it('starts empty, signed by the targets keys of the pinned root, with metadata cache headers', async () => {
    const res = await w.app.inject({ url: '/catalog.json' });
    expect(res.headers['cache-control']).toBe(METADATA_CACHE);
    expect(res.headers['surrogate-key']).toBe('catalog');
    const { catalog } = await read();
    expect(catalog.plugins).toEqual([]);
    expect(catalog.version).toBeGreaterThanOrEqual(1);
    expect(Date.parse(catalog.expires)).toBeGreaterThan(Date.now() + 12 * 3600_000);
  });

  it('lists a publish at once, with integrity, size and dist-tags; the version only grows with content', async () => {
    const before = (await read()).catalog.version;
    expect((await publish(w, token, '@cat/notes', '1.0.0')).statusCode).toBe(201);
    const { catalog } = await read(before);
    expect(catalog.version).toBe(before + 1);
    const plugin = catalog.plugins.find((p) => p.name === '@cat/notes')!;
    expect(plugin.distTags).toEqual({ latest: '1.0.0' });
    expect(plugin.versions).toHaveLength(1);
    expect(plugin.versions[0]).toMatchObject({ version: '1.0.0', signed: false, revoked: null, deprecated: null });
    expect(plugin.versions[0]!.integrity).toMatch(/^sha512-/);
    const doc = (await w.app.inject({ url: '/@cat%2fnotes' })).json();
    expect(plugin.versions[0]!.integrity).toBe(doc.versions['1.0.0'].dist.integrity);
    // Nothing changed: a forced rebuild keeps the version and the bytes.
    const again = await w.catalog.rebuild();
    expect(again.version).toBe(catalog.version);
  });

  it('answers 304 to its ETag and gzip to clients that accept it', async () => {
    const { etag, text } = await read();
    expect((await w.app.inject({ url: '/catalog.json', headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    const gz = await w.app.inject({ url: '/catalog.json', headers: { 'accept-encoding': 'gzip, br' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(text);
  });

  it('carries signatures, revocations, rollouts and flags, and a new ETag for each change', async () => {
    const key = await generateKeyPair();
    expect((await w.app.inject({ method: 'POST', url: '/trust/keys', headers: bearer(token), payload: { public: key.keyval.public } })).statusCode).toBe(201);
    expect((await publish(w, token, '@cat/notes', '1.1.0', key)).statusCode).toBe(201);
    const first = await read();
    expect(first.catalog.plugins[0]!.versions.map((v) => [v.version, v.signed])).toEqual([
      ['1.0.0', false],
      ['1.1.0', true],
    ]);
    const revoke = await w.app.inject({ method: 'POST', url: '/trust/revocations', headers: bearer(token), payload: { name: '@cat/notes', version: '1.0.0', reason: 'leaks notes' } });
    expect(revoke.statusCode, revoke.body).toBeLessThan(300);
    const revoked = await read(first.catalog.version);
    expect(revoked.etag).not.toBe(first.etag);
    expect(revoked.catalog.plugins[0]!.versions[0]!.revoked).toMatchObject({ reason: 'leaks notes' });

    const flag = await w.app.inject({ method: 'PATCH', url: '/api/v1/flags/new-editor', headers: bearer(ADMIN_TOKEN), payload: { state: 'ON' } });
    expect(flag.statusCode, flag.body).toBe(200);
    expect((await read()).catalog.flags.features.map((f) => f.name)).toContain('new-editor');

    expect((await w.app.inject({ method: 'PUT', url: '/-/package/@cat%2fnotes/dist-tags/stable', headers: { ...bearer(token), 'content-type': 'application/json' }, payload: '"1.0.0"' })).statusCode).toBeLessThan(300);
    expect((await publish(w, token, '@cat/notes', '1.2.0')).statusCode).toBe(201);
    const created = await w.app.inject({ method: 'POST', url: '/api/v1/rollouts', headers: bearer(ADMIN_TOKEN), payload: { plugin: '@cat/notes', channel: 'stable', version: '1.2.0', percentage: 50 } });
    expect(created.statusCode, created.body).toBe(201);
    const { catalog } = await read();
    const plugin = catalog.plugins[0]!;
    expect(plugin.rollouts).toEqual([{ channel: 'stable', version: '1.2.0', previousVersion: '1.0.0', percentage: 50, state: 'active' }]);
    // Half the installs get the rollout's version, the rest stay on what the channel had: 1.0.0,
    // which is revoked, so they fall back to the newest usable version not ahead of the channel.
    const got = new Set(Array.from({ length: 200 }, (_, i) => resolveVersion(plugin, { installId: `install-${i}` })?.version ?? null));
    expect(got).toEqual(new Set(['1.2.0', null]));
  });

  it('is refused by a verifying client when tampered, re-signed by another key, rolled back or expired', async () => {
    const { catalog, text } = await read();
    expect(await refusal(text.replace('leaks notes', 'fine notes'))).toBe('signature-threshold');
    const sigs = JSON.parse(text.slice(text.indexOf('"signatures":') + 13, text.indexOf('],"payload":') + 1));
    expect(await refusal(signCatalog(catalog, [await generateKeyPair()]))).toBe('signature-threshold');
    // A key listed twice is refused, as in TUF metadata; so is a payload outside the layout.
    expect(await refusal(text.replace(JSON.stringify(sigs), JSON.stringify([...sigs, ...sigs])))).toBe('signature-threshold');
    expect(await refusal(text + '{}')).toBe('signature-threshold');
    expect(await refusal(JSON.stringify(JSON.parse(text), null, 1))).toBe('malformed');
    expect(await refusal(text, { minVersion: catalog.version + 1 })).toBe('rollback');
    expect(await refusal(text, { now: new Date(Date.parse(catalog.expires) + 1) })).toBe('expired');
    expect(await refusal('{"payloadType":"x"}')).toBe('malformed');
    expect(await refusal('not json')).toBe('malformed');
  });
});
