import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NpmRegistryKeysSchema, type NpmRegistryKeys } from '@wharf/core';
import { NpmRegistrySigner } from '../src/registry/npm-signer.js';
import { addUser, bearer, createTestWharf, type TestWharf } from './helpers.js';
import { encodeName, publishBody } from './support/packages.js';

/**
 * The verifier `npm audit signatures` runs, taken from the npm CLI installed on this machine: pacote
 * with `verifySignatures` and the registry's keys under `//host/:_keys`. (`npm audit signatures`
 * itself first asks Sigstore's TUF CDN whether it knows the registry's keys, which a machine with
 * no Internet cannot reach; given no answer there it reads /-/npm/v1/keys exactly as below.)
 */
const npmRequire = createRequire(join(execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim(), 'npm', 'package.json'));
const pacote = npmRequire('pacote') as { manifest(spec: string, opts: Record<string, unknown>): Promise<Record<string, unknown>> };

/** npm's own mapping of a /-/npm/v1/keys entry to the key it verifies with (lib/utils/verify-signatures.js). */
const asNpmKeys = (doc: NpmRegistryKeys) => doc.keys.map((k) => ({ ...k, pemkey: `-----BEGIN PUBLIC KEY-----\n${k.key}\n-----END PUBLIC KEY-----` }));

describe('npm registry signatures', () => {
  let w: TestWharf;
  let url: string;
  let keys: NpmRegistryKeys;
  const npmOpts = (k: unknown, extra: Record<string, unknown> = {}) => ({
    registry: `${url}/`,
    cache: join(tmpdir(), `wharf-pacote-${Math.random()}`),
    verifySignatures: true,
    [`//${new URL(url).host}/:_keys`]: k,
    ...extra,
  });

  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    url = (await w.app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    const alice = await addUser(w, 'alice');
    for (const version of ['1.0.0', '1.1.0']) {
      const { body } = publishBody('@sig/pkg', version);
      // A publisher's own claims in dist are not the registry's signature.
      const dist = body.versions[version]!.dist as Record<string, unknown>;
      dist.signatures = [{ keyid: 'SHA256:forged', sig: 'AAAA' }];
      dist.attestations = { url: 'http://127.0.0.1:1/attacker', provenance: { predicateType: 'https://slsa.dev/provenance/v1' } };
      const res = await w.app.inject({ method: 'PUT', url: `/${encodeName('@sig/pkg')}`, headers: bearer(alice), payload: body });
      expect(res.statusCode, res.body).toBe(201);
    }
    keys = NpmRegistryKeysSchema.parse((await w.app.inject({ url: '/-/npm/v1/keys' })).json());
  });
  afterAll(() => w.destroy());

  it('serves one ECDSA P-256 key named as npm names keys: SHA256 of its DER form', () => {
    expect(keys.keys).toHaveLength(1);
    const [key] = keys.keys;
    expect(key!.keyid).toBe(`SHA256:${createHash('sha256').update(Buffer.from(key!.key, 'base64')).digest('base64').replace(/=+$/, '')}`);
    expect(key!.expires).toBeNull();
  });

  it("npm's verifier accepts every version, in the full and the abbreviated packument and the version document", async () => {
    for (const spec of ['@sig/pkg@1.0.0', '@sig/pkg@1.1.0']) {
      for (const fullMetadata of [false, true]) {
        const mani = await pacote.manifest(spec, npmOpts(asNpmKeys(keys), { fullMetadata }));
        expect(mani._signatures).toEqual([{ keyid: keys.keys[0]!.keyid, sig: expect.any(String) }]);
      }
    }
    const doc = (await w.app.inject({ url: '/@sig%2fpkg/1.1.0' })).json() as { dist: Record<string, unknown> };
    expect(doc.dist.signatures).toEqual([{ keyid: keys.keys[0]!.keyid, sig: expect.any(String) }]);
    // The publisher's attestation claim is dropped: npm would fetch and check that URL.
    expect(doc.dist.attestations).toBeUndefined();
  });

  it('signs at publish and stores it, so every replica and restart serves the same bytes; older versions are signed at start', async () => {
    const stored = () => w.store.db.selectFrom('versions').select(['version', 'npm_signature']).where('package', '=', '@sig/pkg').orderBy('version').execute();
    const atPublish = await stored();
    expect(atPublish.map((r) => JSON.parse(r.npm_signature!).keyid)).toEqual([keys.keys[0]!.keyid, keys.keys[0]!.keyid]);
    const served = ((await w.app.inject({ url: '/@sig%2fpkg' })).json() as { versions: Record<string, { dist: { signatures: unknown } }> }).versions;
    expect(served['1.0.0']!.dist.signatures).toEqual([JSON.parse(atPublish[0]!.npm_signature!)]);

    // As a database from before signing (0016), and one signed by a key since replaced.
    await w.store.db.updateTable('versions').set({ npm_signature: null }).where('version', '=', '1.0.0').execute();
    await w.store.db.updateTable('versions').set({ npm_signature: JSON.stringify({ keyid: 'SHA256:old', sig: 'AAAA' }) }).where('version', '=', '1.1.0').execute();
    await w.changes.packageChanged('@sig/pkg');
    // Served meanwhile with a signature made on the spot, which npm accepts.
    expect((await pacote.manifest('@sig/pkg@1.1.0', npmOpts(asNpmKeys(keys))))._signatures).toBeDefined();
    expect(await w.registry.signUnsignedVersions(new AbortController().signal)).toBe(2);
    expect((await stored()).map((r) => JSON.parse(r.npm_signature!).keyid)).toEqual([keys.keys[0]!.keyid, keys.keys[0]!.keyid]);
    expect(await w.registry.signUnsignedVersions(new AbortController().signal)).toBe(0);
    const first = await w.app.inject({ url: '/@sig%2fpkg' });
    expect(first.json().versions['1.1.0'].dist.signatures).toEqual([JSON.parse((await stored())[1]!.npm_signature!)]);
    for (const fullMetadata of [false, true]) await pacote.manifest('@sig/pkg@1.0.0', npmOpts(asNpmKeys(keys), { fullMetadata }));
  });

  it('the signature is really checked: another key under the same id fails as npm reports tampering', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const forged = asNpmKeys({ keys: [{ ...keys.keys[0]!, key: other }] });
    await expect(pacote.manifest('@sig/pkg@1.0.0', npmOpts(forged))).rejects.toMatchObject({ code: 'EINTEGRITYSIGNATURE' });
    // With no key of that id, npm says so rather than trusting the signature.
    await expect(pacote.manifest('@sig/pkg@1.0.0', npmOpts([]))).rejects.toMatchObject({ code: 'EMISSINGSIGNATUREKEY' });
  });
});

describe('NpmRegistrySigner', () => {
  it('creates its key once (mode 0600) and reads the same key at every start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-npm-key-'));
    const [a, b] = await Promise.all([NpmRegistrySigner.open(dir, undefined), NpmRegistrySigner.open(dir, undefined)]);
    expect(a.keyid).toBe(b.keyid);
    expect((await NpmRegistrySigner.open(dir, undefined)).keyid).toBe(a.keyid);
    expect((await stat(join(dir, 'npm-registry-p256.pem'))).mode & 0o777).toBe(0o600);
    // The same key given through the environment (a secret store) signs the same way.
    const fromEnv = await NpmRegistrySigner.open(join(dir, 'unused'), await readFile(join(dir, 'npm-registry-p256.pem'), 'utf8'));
    expect(fromEnv.keyid).toBe(a.keyid);
    // A stored signature by the current key is served as stored (what keeps replicas' bytes equal).
    const stored = a.sign('@a/b', '1.0.0', 'sha512-x');
    expect(fromEnv.signaturesOf({ package: '@a/b', version: '1.0.0', integrity: 'sha512-x', npm_signature: JSON.stringify(stored) })).toEqual([stored]);
  });

  it('refuses a key npm could not verify with, and text that is not a key', async () => {
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(NpmRegistrySigner.open('/nonexistent', ed)).rejects.toThrow('the npm signing key must be an ECDSA P-256 private key');
    await expect(NpmRegistrySigner.open('/nonexistent', 'not a key')).rejects.toThrow(/WHARF_NPM_SIGNING_KEY: not a PEM private key/);
  });
});
