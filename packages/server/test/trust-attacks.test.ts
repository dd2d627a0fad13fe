import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, targetPath, type KeyPairFile, type TrustClient } from '@wharf/core';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { hostileMirror, listen, pinnedClient, publish, servedTarballPath, type HostileMirror } from './trust-helpers.js';
import { currentRoot, latest, metaOf, nextRoot, roleKeys, serverKey, signEnvelope } from './trust-forge.js';

const DAY = 24 * 3600 * 1000;
const later = (iso: string, ms = DAY) => new Date(Date.parse(iso) + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Each attack: the mirror misbehaves one way, the client refuses with that check's code. */
describeEachBackend('trust attack suite', (backend) => {
  let w: TestWharf;
  let token: string;
  let origin: string;
  let mirror: HostileMirror;
  const client = async (extra = {}): Promise<TrustClient> => (await pinnedClient(mirror.url, fetch, extra)).client;

  beforeAll(async () => {
    w = await createTestWharf(backend);
    token = await addUser(w, 'victim');
    origin = await listen(w);
    mirror = await hostileMirror(origin);
    expect((await publish(w, token, '@acme/widget', '1.0.0')).statusCode).toBe(201);
    expect((await publish(w, token, '@acme/widget', '1.0.1')).statusCode).toBe(201);
  });
  afterAll(async () => {
    await mirror.close();
    await w.destroy();
  });
  beforeEach(() => mirror.reset());

  it('honest path: refresh and download through the mirror pass', async () => {
    const c = await client();
    await c.refresh();
    const pkg = await c.fetchPackage('@acme/widget', '1.0.0');
    expect(pkg.integrity).toMatch(/^sha512-/);
  });

  it('arbitrary/tampered file: one flipped byte in the tarball is refused', async () => {
    mirror.override(await servedTarballPath(w, '@acme/widget', '1.0.0'), (honest) => {
      const b = Buffer.from(honest);
      b[b.length - 5]! ^= 0xff;
      return b;
    });
    const c = await client();
    await c.refresh();
    await expect(c.fetchPackage('@acme/widget', '1.0.0')).rejects.toMatchObject({ code: 'hash-mismatch' });
  });

  it('wrong software: another validly listed version\'s bytes are refused', async () => {
    const other = Buffer.from(await (await fetch(`${origin}/${targetPath('@acme/widget', '1.0.1')}`)).arrayBuffer());
    // Same length as the expected file, so only the hash check can catch it.
    mirror.override(await servedTarballPath(w, '@acme/widget', '1.0.0'), (honest) => Buffer.concat([other, Buffer.alloc(honest.length)]).subarray(0, honest.length));
    const c = await client();
    await c.refresh();
    await expect(c.fetchPackage('@acme/widget', '1.0.0')).rejects.toMatchObject({ code: 'hash-mismatch' });
  });

  it('tampered targets metadata is refused (snapshot hash), and a catalog signed by a foreign key too', async () => {
    const ts = await latest(w, 'timestamp');
    const t = await latest(w, 'targets');
    mirror.override(`/trust/${t.signed.version}.targets.json`, (honest) => honest.toString().replace('"length":', '"lengtx":'));
    await expect((await client()).refresh()).rejects.toMatchObject({ code: 'hash-mismatch' });
    mirror.reset();
    const attacker = await generateKeyPair();
    mirror.override('/trust/timestamp.json', signEnvelope({ ...ts.signed, version: ts.signed.version + 1 }, [attacker]));
    await expect((await client()).refresh()).rejects.toMatchObject({ code: 'signature-threshold' });
  });

  it('endless data: a tarball or timestamp longer than allowed stops at the limit', async () => {
    mirror.endless(await servedTarballPath(w, '@acme/widget', '1.0.0'));
    const c = await client();
    await c.refresh();
    await expect(c.fetchPackage('@acme/widget', '1.0.0')).rejects.toMatchObject({ code: 'length-exceeded' });
    mirror.endless('/trust/timestamp.json');
    await expect((await client()).refresh()).rejects.toMatchObject({ code: 'length-exceeded' });
  });

  it('freeze: metadata past its expiry (clock at +2 days) is refused as stale', async () => {
    const c = await client({ now: () => new Date(Date.now() + 2 * DAY) });
    const err = await c.refresh().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'expired' });
    expect(String(err)).toMatch(/timestamp .* expired/);
  });

  it('rollback: an older (validly signed) timestamp after a newer one is refused', async () => {
    const c = await client();
    await c.refresh();
    const before = await latest(w, 'timestamp');
    expect((await publish(w, token, '@acme/widget', '1.0.2')).statusCode).toBe(201);
    await c.refresh();
    mirror.override('/trust/timestamp.json', before.text);
    await expect(c.refresh()).rejects.toMatchObject({ code: 'rollback' });
  });

  it('rollback: a timestamp naming an older snapshot, or a snapshot naming older targets (stolen keys), is refused', async () => {
    const c = await client();
    await c.refresh();
    const root = await currentRoot(w);
    const ts = await latest(w, 'timestamp');
    const snap = await latest(w, 'snapshot');
    const [tsKey] = await roleKeys(w, root, 'timestamp');
    const [snapKey] = await roleKeys(w, root, 'snapshot');
    const oldSnapshot = (await w.app.inject({ url: '/trust/1.snapshot.json' })).body;
    mirror.override('/trust/timestamp.json', signEnvelope({ ...ts.signed, version: ts.signed.version + 1, meta: { 'snapshot.json': metaOf(1, oldSnapshot) } }, [tsKey!]));
    await expect(c.refresh()).rejects.toMatchObject({ code: 'rollback' });
    const forgedSnapshot = signEnvelope({ ...snap.signed, version: snap.signed.version + 1, meta: { 'targets.json': metaOf(1, (await w.app.inject({ url: '/trust/1.targets.json' })).body) } }, [snapKey!]);
    mirror.override(`/trust/${snap.signed.version + 1}.snapshot.json`, forgedSnapshot);
    mirror.override('/trust/timestamp.json', signEnvelope({ ...ts.signed, version: ts.signed.version + 2, meta: { 'snapshot.json': metaOf(snap.signed.version + 1, forgedSnapshot) } }, [tsKey!]));
    await expect(c.refresh()).rejects.toMatchObject({ code: 'rollback' });
  });

  it('mix-and-match: a snapshot or targets other than the one named is refused', async () => {
    const snap = await latest(w, 'snapshot');
    const t = await latest(w, 'targets');
    const olderSnapshot = (await w.app.inject({ url: `/trust/${snap.signed.version - 1}.snapshot.json` })).body;
    mirror.override(`/trust/${snap.signed.version}.snapshot.json`, olderSnapshot);
    await expect((await client()).refresh()).rejects.toMatchObject({ code: 'hash-mismatch' });
    // Even when the snapshot lists no hashes (stolen snapshot/timestamp keys), the version inside must match.
    mirror.reset();
    const root = await currentRoot(w);
    const ts = await latest(w, 'timestamp');
    const [tsKey] = await roleKeys(w, root, 'timestamp');
    const [snapKey] = await roleKeys(w, root, 'snapshot');
    const loose = signEnvelope({ ...snap.signed, version: snap.signed.version + 1, meta: { 'targets.json': { version: t.signed.version } } }, [snapKey!]);
    mirror.override(`/trust/${snap.signed.version + 1}.snapshot.json`, loose);
    mirror.override('/trust/timestamp.json', signEnvelope({ ...ts.signed, version: ts.signed.version + 1, meta: { 'snapshot.json': metaOf(snap.signed.version + 1, loose) } }, [tsKey!]));
    mirror.override(`/trust/${t.signed.version}.targets.json`, (await w.app.inject({ url: `/trust/${t.signed.version - 1}.targets.json` })).body);
    await expect((await client()).refresh()).rejects.toMatchObject({ code: 'version-mismatch' });
  });

  it('signatures removed or from a key the role does not list fall under the threshold', async () => {
    const ts = await latest(w, 'timestamp');
    mirror.override('/trust/timestamp.json', JSON.stringify({ signed: ts.signed, signatures: [] }));
    await expect((await client()).refresh()).rejects.toMatchObject({ code: 'signature-threshold' });
    const root = await currentRoot(w);
    const [snapKey] = await roleKeys(w, root, 'snapshot');
    mirror.override('/trust/timestamp.json', signEnvelope({ ...ts.signed, version: ts.signed.version + 1 }, [snapKey!]));
    await expect((await client()).refresh()).rejects.toMatchObject({ code: 'signature-threshold' });
  });

  it('revoked version: listed as revoked, never downloaded', async () => {
    expect((await w.app.inject({ method: 'POST', url: '/trust/revocations', headers: bearer(ADMIN_TOKEN), payload: { name: '@acme/widget', version: '1.0.1', reason: 'malware' } })).statusCode).toBe(201);
    const c = await client();
    await c.refresh();
    await expect(c.fetchPackage('@acme/widget', '1.0.1')).rejects.toMatchObject({ code: 'revoked' });
  });

  it('a tampered blob on the origin\'s disk is refused by the origin itself (500), so no client ever receives it', async () => {
    expect((await publish(w, token, '@acme/disk', '1.0.0')).statusCode).toBe(201);
    const blobs = join(w.dataDir, 'blobs');
    const files = (await readdir(blobs, { recursive: true, withFileTypes: true })).filter((e) => e.isFile() && !e.parentPath.endsWith('tmp'));
    const honest = Buffer.from(await (await fetch(`${origin}/trust/targets.json`)).arrayBuffer());
    const entry = JSON.parse(honest.toString()).signed.targets[targetPath('@acme/disk', '1.0.0')];
    const blob = files.find((f) => f.name === Buffer.from(entry.hashes.sha512, 'hex').toString('hex'))!;
    const bytes = await readFile(join(blob.parentPath, blob.name));
    bytes[bytes.length - 3]! ^= 0x01;
    await writeFile(join(blob.parentPath, blob.name), bytes);
    const c = await client();
    await c.refresh();
    expect((await fetch(`${origin}/${targetPath('@acme/disk', '1.0.0')}`)).status).toBe(500);
    await expect(c.fetchPackage('@acme/disk', '1.0.0')).rejects.toMatchObject({ code: 'fetch-failed', message: expect.stringMatching(/HTTP 500/) });
  });
});

describeEachBackend('trust key rotation and thresholds', (backend) => {
  let w: TestWharf;
  let token: string;
  let origin: string;
  let mirror: HostileMirror;
  let oldTimestampKey: KeyPairFile;
  let rootKeys: KeyPairFile[];
  let targetsKeys: KeyPairFile[];

  beforeAll(async () => {
    w = await createTestWharf(backend);
    token = await addUser(w, 'rotator');
    origin = await listen(w);
    mirror = await hostileMirror(origin);
    expect((await publish(w, token, 'rotating', '1.0.0')).statusCode).toBe(201);
  });
  afterAll(async () => {
    await mirror.close();
    await w.destroy();
  });
  beforeEach(() => mirror.reset());

  it('root v2 (2-of-3 root, 2-of-3 targets, new timestamp key) needs old and new root keys; clients walk the chain', async () => {
    const { client: c } = await pinnedClient(mirror.url, fetch);
    await c.refresh();
    const v1 = await currentRoot(w);
    const [oldRoot] = await roleKeys(w, v1, 'root');
    oldTimestampKey = (await roleKeys(w, v1, 'timestamp'))[0]!;
    rootKeys = [await generateKeyPair(), await generateKeyPair(), await generateKeyPair()]; // offline: not in the server's directory
    targetsKeys = [await serverKey(w), await serverKey(w), await serverKey(w)];
    const v2 = nextRoot(v1, { root: { keys: rootKeys, threshold: 2 }, targets: { keys: targetsKeys, threshold: 2 }, timestamp: { keys: [await serverKey(w)], threshold: 1 } });
    const put = (body: string) => w.app.inject({ method: 'PUT', url: '/trust/root', headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' }, payload: body });
    const onlyNew = await put(signEnvelope(v2, rootKeys.slice(0, 2)));
    expect(onlyNew.statusCode).toBe(422);
    expect(onlyNew.json().error).toMatch(/root v1's keys/);
    const oneNew = await put(signEnvelope(v2, [oldRoot!, rootKeys[0]!]));
    expect(oneNew.statusCode).toBe(422);
    expect(oneNew.json().error).toMatch(/its own keys/);
    expect((await w.app.inject({ method: 'PUT', url: '/trust/root', headers: bearer(token), payload: JSON.parse(signEnvelope(v2, [oldRoot!, ...rootKeys])) })).statusCode).toBe(403);
    const ok = await put(signEnvelope(v2, [oldRoot!, rootKeys[0]!, rootKeys[2]!]));
    expect(ok.statusCode, ok.body).toBe(200);
    await c.refresh();
    expect((await c.fetchPackage('rotating', '1.0.0')).name).toBe('rotating');
    const t = JSON.parse((await w.app.inject({ url: '/trust/targets.json' })).body);
    expect(t.signatures).toHaveLength(3);
  });

  it('a root v3 signed only by new keys is refused by the client (root-chain)', async () => {
    const v2 = await currentRoot(w);
    const stranger = [await generateKeyPair(), await generateKeyPair()];
    mirror.override('/trust/3.root.json', signEnvelope(nextRoot(v2, { root: { keys: stranger, threshold: 2 } }), stranger));
    const { client: c } = await pinnedClient(mirror.url, fetch);
    await expect(c.refresh()).rejects.toMatchObject({ code: 'root-chain' });
  });

  it('a rotated-out timestamp key no longer counts', async () => {
    const ts = await latest(w, 'timestamp');
    mirror.override('/trust/timestamp.json', signEnvelope({ ...ts.signed, version: ts.signed.version + 1 }, [oldTimestampKey]));
    const { client: c } = await pinnedClient(mirror.url, fetch);
    await expect(c.refresh()).rejects.toMatchObject({ code: 'signature-threshold' });
  });

  it('targets signed by 1 of 2 required keys, or by one key listed twice, are refused', async () => {
    const v2 = await currentRoot(w);
    const [tsKey] = await roleKeys(w, v2, 'timestamp');
    const [snapKey] = await roleKeys(w, v2, 'snapshot');
    const ts = await latest(w, 'timestamp');
    const snap = await latest(w, 'snapshot');
    const t = await latest(w, 'targets');
    const serve = (targets: string) => {
      const tv = t.signed.version + 1;
      const sv = snap.signed.version + 1;
      const snapshot = signEnvelope({ ...snap.signed, version: sv, meta: { 'targets.json': metaOf(tv, targets) } }, [snapKey!]);
      mirror.override(`/trust/${tv}.targets.json`, targets);
      mirror.override(`/trust/${sv}.snapshot.json`, snapshot);
      mirror.override('/trust/timestamp.json', signEnvelope({ ...ts.signed, version: ts.signed.version + 1, meta: { 'snapshot.json': metaOf(sv, snapshot) } }, [tsKey!]));
    };
    const forged = { ...t.signed, version: t.signed.version + 1 };
    serve(signEnvelope(forged, [targetsKeys[0]!]));
    await expect((await pinnedClient(mirror.url, fetch)).client.refresh()).rejects.toMatchObject({ code: 'signature-threshold' });
    const once = JSON.parse(signEnvelope(forged, [targetsKeys[0]!]));
    serve(JSON.stringify({ ...once, signatures: [once.signatures[0], once.signatures[0]] }));
    await expect((await pinnedClient(mirror.url, fetch)).client.refresh()).rejects.toMatchObject({ code: 'signature-threshold' });
    serve(signEnvelope(forged, [targetsKeys[0]!, targetsKeys[2]!]));
    const { client: c } = await pinnedClient(mirror.url, fetch);
    await c.refresh();
    expect(c.target(targetPath('rotating', '1.0.0'))).not.toBeNull();
  });

  it('re-signs timestamp and snapshot before they expire', async () => {
    const before = await latest(w, 'timestamp');
    const service = w.trust;
    expect(await service.resignExpiring()).toBeNull();
    const clock = Date.parse(before.signed.expires) - 3600 * 1000;
    const resigned = await withClock(w, clock, () => service.resignExpiring());
    expect(resigned).toBe('timestamp');
    const after = await latest(w, 'timestamp');
    expect(after.signed.version).toBe(before.signed.version + 1);
    expect(Date.parse(after.signed.expires)).toBe(Date.parse(later(new Date(clock).toISOString())) - (clock % 1000));
  });
});

/** Runs `fn` with the trust service's clock set to `at`. */
async function withClock<T>(w: TestWharf, at: number, fn: () => Promise<T>): Promise<T> {
  const opts = (w.trust as unknown as { opts: { now?: () => Date } }).opts;
  const saved = opts.now;
  opts.now = () => new Date(at);
  try {
    return await fn();
  } finally {
    opts.now = saved;
  }
}
