import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateKeyPair, type KeyPairFile } from '@wharf/core';
import { addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { injectFetch, pinnedClient, publish } from './trust-helpers.js';

describeEachBackend('versions a failed publish step left out of signed metadata', (backend) => {
  let w: TestWharf;
  let token: string;
  let key: KeyPairFile;
  const readTarball = (blobKey: string) => w.registry.storedTarball(blobKey);
  /** Publishes while the after-commit trust step fails, as a database error there would. */
  const publishWithTrustDown = async (name: string, version: string, signWith?: KeyPairFile) => {
    const original = w.publishRecords.recordPublish;
    w.publishRecords.recordPublish = async () => {
      throw new Error('database unavailable');
    };
    try {
      return await publish(w, token, name, version, signWith);
    } finally {
      w.publishRecords.recordPublish = original;
    }
  };

  beforeAll(async () => {
    w = await createTestWharf(backend);
    token = await addUser(w, 'author');
    key = await generateKeyPair();
    expect((await w.app.inject({ method: 'POST', url: '/trust/keys', headers: bearer(token), payload: { public: key.keyval.public } })).statusCode).toBe(201);
  });
  afterAll(() => w.destroy());

  it('lists them later through the same checks, keeping a publisher signature the version document carries', async () => {
    expect((await publishWithTrustDown('@rec/plain', '1.0.0')).statusCode).toBe(201);
    expect((await publishWithTrustDown('@rec/signed', '1.0.0', key)).statusCode).toBe(201);
    const { client } = await pinnedClient('http://wharf.test', injectFetch(w));
    await client.refresh();
    expect(client.versionsOf('@rec/plain')).toEqual([]);

    // Too recent: a publish still running its hooks is left alone.
    expect(await w.publishRecords.reconcile(readTarball)).toBe(0);
    expect(await w.publishRecords.reconcile(readTarball, { settleMs: 0 })).toBe(2);
    expect(await w.publishRecords.reconcile(readTarball, { settleMs: 0 })).toBe(0);

    await client.refresh();
    expect((await client.fetchPackage('@rec/plain', '1.0.0')).signedBy).toBeNull();
    expect((await client.fetchPackage('@rec/signed', '1.0.0')).signedBy).toBe(key.keyid);
  });

  it('leaves unlisted what a publish would refuse now: a scope that requires signatures', async () => {
    // The first publish in @rec2 makes its publisher the scope's owner, who may then set its policy.
    expect((await publishWithTrustDown('@rec2/plain', '1.0.0')).statusCode).toBe(201);
    expect((await w.app.inject({ method: 'PUT', url: '/trust/policies/rec2', headers: bearer(token), payload: { requireSignature: true } })).statusCode).toBeLessThan(300);
    const skipped: string[] = [];
    expect(await w.publishRecords.reconcile(readTarball, { settleMs: 0, onSkip: (err, name) => skipped.push(`${name}: ${(err as Error).message}`) })).toBe(0);
    expect(skipped).toEqual([expect.stringMatching(/^@rec2\/plain: scope @rec2 requires signed publishes/)]);
  });

  it('re-issues targets that miss a version whose trust record was written (a crash between the two)', async () => {
    // As a kill between recordPublish's trust record and the targets it issues would leave it.
    const issue = w.trust.issue;
    w.trust.issue = async () => undefined;
    try {
      expect((await publish(w, token, '@rec3/crash', '1.0.0')).statusCode).toBe(201);
    } finally {
      w.trust.issue = issue;
    }
    const { client } = await pinnedClient('http://wharf.test', injectFetch(w));
    await client.refresh();
    expect(client.versionsOf('@rec3/crash')).toEqual([]);
    // Nothing is left for the unlisted-version pass: it has its record. Reconcile still repairs it.
    expect(await w.publishRecords.reconcile(readTarball, { settleMs: 0 })).toBe(0);
    await client.refresh();
    expect((await client.fetchPackage('@rec3/crash', '1.0.0')).name).toBe('@rec3/crash');
  });
});
