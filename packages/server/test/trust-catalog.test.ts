import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtemp, readFile, stat, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { generateKeyPair, parseEnvelope, targetPath, verifyDsse, type KeyPairFile } from '@wharf/core';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { injectFetch, listen, pinnedClient, publish, publishBody } from './trust-helpers.js';

describeEachBackend('trust catalog', (backend) => {
  let w: TestWharf;
  let token: string;
  let key: KeyPairFile;
  let base: string;
  beforeAll(async () => {
    w = await createTestWharf(backend);
    token = await addUser(w, 'signer');
    key = await generateKeyPair();
    base = await listen(w);
  });
  afterAll(() => w.destroy());

  it('bootstraps root v1 and a first catalog; private keys stay in 0600 files, never served', async () => {
    const root = parseEnvelope('root', (await w.app.inject({ url: '/trust/root.json' })).body).signed;
    expect(root.version).toBe(1);
    expect(root.consistent_snapshot).toBe(true);
    const dir = join(w.dataDir, 'trust-keys');
    const files = await readdir(dir);
    // Four TUF role keys, and the npm registry signing key (ECDSA, for npm audit signatures).
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(4);
    expect(files.filter((f) => !f.endsWith('.json'))).toEqual(['npm-registry-p256.pem']);
    expect((await w.app.inject({ url: '/-/npm/v1/keys' })).body).not.toContain('PRIVATE');
    for (const f of files) expect((await stat(join(dir, f))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const url of ['/trust/root.json', '/trust/timestamp.json', '/trust/1.snapshot.json', '/trust/1.targets.json']) {
      const res = await w.app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).not.toContain('private');
    }
    expect((await w.app.inject({ url: '/trust/9.root.json' })).statusCode).toBe(404);
    expect((await w.app.inject({ url: '/trust/x.json' })).statusCode).toBe(404);
  });

  it('registers a key, accepts a signed publish, lists it with its signature and countersignature', async () => {
    const reg = await w.app.inject({ method: 'POST', url: '/trust/keys', headers: bearer(token), payload: { public: key.keyval.public, name: 'laptop' } });
    expect(reg.statusCode, reg.body).toBe(201);
    expect(reg.json().keyid).toBe(key.keyid);
    expect((await publish(w, token, '@sig/plugin', '1.0.0', key)).statusCode).toBe(201);
    expect((await publish(w, token, '@sig/plugin', '1.0.1')).statusCode).toBe(201);
    const { client } = await pinnedClient(base, injectFetch(w));
    await client.refresh();
    const signed = await client.fetchPackage('@sig/plugin', '1.0.0');
    expect(signed.signedBy).toBe(key.keyid);
    expect(Object.keys(signed.files).sort()).toEqual(['index.js', 'package.json']);
    const unsigned = await client.fetchPackage('@sig/plugin', '1.0.1');
    expect(unsigned.signedBy).toBeNull();
    expect(client.target(targetPath('@sig/plugin', '1.0.0'))!.wharf!.countersignature).toBeDefined();
  });

  it('refuses a bad signature, a stranger\'s key and a file list that does not match (422)', async () => {
    const stranger = await generateKeyPair();
    const res = await publish(w, token, '@sig/plugin', '2.0.0', stranger);
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toContain('is not registered to signer');
    const body = await publishBody('@sig/plugin', '2.0.1', key);
    const field = (body.versions['2.0.1'] as unknown as { wharf: { files: Record<string, string> } }).wharf;
    field.files['index.js'] = field.files['package.json']!;
    const bad = await w.app.inject({ method: 'PUT', url: '/@sig%2fplugin', headers: bearer(token), payload: body });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error).toContain('signed file hashes do not match');
    const body2 = await publishBody('@sig/plugin', '2.0.2', key);
    const sig = (body2.versions['2.0.2'] as unknown as { wharf: { signature: { sig: string } } }).wharf.signature;
    sig.sig = (sig.sig[0] === 'a' ? 'b' : 'a') + sig.sig.slice(1);
    const forged = await w.app.inject({ method: 'PUT', url: '/@sig%2fplugin', headers: bearer(token), payload: body2 });
    expect(forged.statusCode).toBe(422);
    expect(forged.json().error).toContain('does not verify');
  });

  it('refuses unsigned publishes where the scope requires signatures', async () => {
    const set = await w.app.inject({ method: 'PUT', url: '/trust/policies/@sig', headers: bearer(token), payload: { requireSignature: true } });
    expect(set.statusCode, set.body).toBe(200);
    const res = await publish(w, token, '@sig/plugin', '3.0.0');
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatch(/scope @sig requires signed publishes/);
    expect((await publish(w, token, '@sig/plugin', '3.0.1', key)).statusCode).toBe(201);
    expect((await publish(w, token, 'unscoped-free', '1.0.0')).statusCode).toBe(201);
    const other = await addUser(w, 'meddler');
    expect((await w.app.inject({ method: 'PUT', url: '/trust/policies/@sig', headers: bearer(other), payload: { requireSignature: false } })).statusCode).toBe(403);
  });

  it('serves a signed in-toto provenance statement for each publish', async () => {
    const res = await w.app.inject({ url: '/plugins/@sig/plugin/1.0.0/provenance.json' });
    expect(res.statusCode).toBe(200);
    const env = res.json();
    const root = parseEnvelope('root', (await w.app.inject({ url: '/trust/root.json' })).body).signed;
    const keyid = root.roles.targets.keyids[0]!;
    expect(verifyDsse(env, keyid, root.keys[keyid]!.keyval.public)).toBe(true);
    const statement = JSON.parse(Buffer.from(env.payload, 'base64').toString());
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(statement.predicate.buildDefinition.externalParameters).toMatchObject({ publisher: 'signer', package: '@sig/plugin', version: '1.0.0', commit: 'a1b2c3d4e5f6' });
    expect(statement.predicate.buildDefinition.internalParameters.developerSignature.keyid).toBe(key.keyid);
    env.payload = Buffer.from(JSON.stringify({ ...statement, subject: [] })).toString('base64');
    expect(verifyDsse(env, keyid, root.keys[keyid]!.keyval.public)).toBe(false);
    expect((await w.app.inject({ url: '/plugins/nope/1.0.0/provenance.json' })).statusCode).toBe(404);
  });

  it('agrees with tuf-js on the same repository', async () => {
    const metadataDir = await mkdtemp(join(tmpdir(), 'wharf-tufjs-'));
    const targetDir = await mkdtemp(join(tmpdir(), 'wharf-tufjs-t-'));
    await writeFile(join(metadataDir, 'root.json'), (await w.app.inject({ url: '/trust/1.root.json' })).body);
    const updater = new Updater({ metadataBaseUrl: `${base}/trust`, targetBaseUrl: base, metadataDir, targetDir, config: { prefixTargetsWithHash: false } });
    await updater.refresh();
    const { client } = await pinnedClient(base, injectFetch(w));
    await client.refresh();
    for (const version of ['1.0.0', '1.0.1', '3.0.1']) {
      const path = targetPath('@sig/plugin', version);
      const info = await updater.getTargetInfo(path);
      expect(info, path).toBeDefined();
      expect(info!.length).toBe(client.target(path)!.info.length);
      expect(info!.hashes).toEqual(client.target(path)!.info.hashes);
      const file = await updater.downloadTarget(info!, join(targetDir, `${version}.tgz`));
      expect(Buffer.from(await readFile(file)).equals(Buffer.from((await client.fetchPackage('@sig/plugin', version)).bytes))).toBe(true);
    }
  });

  it('revokes (owner or admin) in signed metadata; clients refuse and report it', async () => {
    const { client } = await pinnedClient(base, injectFetch(w));
    const stranger = await addUser(w, 'revoker-stranger');
    expect((await w.app.inject({ method: 'POST', url: '/trust/revocations', headers: bearer(stranger), payload: { name: '@sig/plugin', version: '1.0.1', reason: 'x' } })).statusCode).toBe(403);
    expect((await w.app.inject({ method: 'POST', url: '/trust/revocations', headers: bearer(ADMIN_TOKEN), payload: { name: '@sig/plugin', version: '1.0.1', reason: 'bad\nreason' } })).statusCode).toBe(400);
    const res = await w.app.inject({ method: 'POST', url: '/trust/revocations', headers: bearer(token), payload: { name: '@sig/plugin', version: '1.0.1', reason: 'leaked credentials' } });
    expect(res.statusCode, res.body).toBe(201);
    await client.refresh();
    await expect(client.fetchPackage('@sig/plugin', '1.0.1')).rejects.toMatchObject({ code: 'revoked' });
    expect(client.revokedAmong([{ name: '@sig/plugin', version: '1.0.1' }, { name: '@sig/plugin', version: '1.0.0' }])).toEqual([{ name: '@sig/plugin', version: '1.0.1', reason: 'leaked credentials' }]);
  });

  it('shares one re-signing among concurrent changes, and lists each publish by the time it answers', async () => {
    const version = async (role: 'targets' | 'timestamp') => JSON.parse((await w.trust.metadata(role))!).signed.version as number;
    const before = { targets: await version('targets'), timestamp: await version('timestamp') };
    await Promise.all([w.trust.issue('targets'), w.trust.issue('targets'), w.trust.issue('targets')]);
    expect(await version('targets')).toBe(before.targets + 1);
    // A timestamp-only request widened by a targets one waiting with it: still one of each.
    await Promise.all([w.trust.issue('timestamp'), w.trust.issue('targets')]);
    expect(await version('targets')).toBe(before.targets + 2);
    expect(await version('timestamp')).toBe(before.timestamp + 2);

    const names = Array.from({ length: 6 }, (_, i) => `@burst/plugin-${i}`);
    const answers = await Promise.all(
      names.map(async (name) => {
        const res = await publish(w, token, name, '1.0.0');
        // What a verifying client sees as soon as this publish has answered.
        const { client } = await pinnedClient(base, injectFetch(w));
        await client.refresh();
        return { status: res.statusCode, listed: client.versionsOf(name).map((t) => t.wharf!.version) };
      }),
    );
    expect(answers).toEqual(names.map(() => ({ status: 201, listed: ['1.0.0'] })));
  });
});
