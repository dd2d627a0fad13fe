import { beforeEach, describe, expect, it } from 'vitest';
import { canonicalBytes, generateKeyPair, MemoryTrustedMetadataStore, publicPart, signBytes, TrustClient, type KeyPairFile } from '../src/index.js';

const FAR = '2099-01-01T00:00:00Z';

/** A one-key TUF repository served from memory, recording every file the client asks for. */
class Repo {
  files = new Map<string, string>();
  requests: string[] = [];
  constructor(readonly key: KeyPairFile) {}

  sign(signed: Record<string, unknown>, keyids: string[] = [this.key.keyid]): string {
    const sig = signBytes(this.key, canonicalBytes(signed));
    return JSON.stringify({ signatures: keyids.map((keyid) => ({ keyid, sig })), signed });
  }

  root(): string {
    const role = { keyids: [this.key.keyid], threshold: 1 };
    return this.sign({ _type: 'root', spec_version: '1.0.31', version: 1, expires: FAR, consistent_snapshot: false, keys: { [this.key.keyid]: publicPart(this.key) }, roles: { root: role, targets: role, snapshot: role, timestamp: role } });
  }

  /** Publishes targets v`t`, snapshot v`s` naming it and timestamp v`ts` naming that. */
  publish(ts: number, s: number, t: number, extra: Record<string, unknown> = {}): void {
    this.files.set('targets.json', this.sign({ _type: 'targets', spec_version: '1.0.31', version: t, expires: FAR, targets: {} }));
    this.files.set('snapshot.json', this.sign({ _type: 'snapshot', spec_version: '1.0.31', version: s, expires: FAR, meta: { 'targets.json': { version: t } } }));
    this.files.set('timestamp.json', this.sign({ _type: 'timestamp', spec_version: '1.0.31', version: ts, expires: FAR, meta: { 'snapshot.json': { version: s } }, ...extra }));
  }

  fetch = async (url: string | URL): Promise<Response> => {
    const file = String(url).slice('https://repo.test/'.length);
    this.requests.push(file);
    const body = this.files.get(file);
    return body === undefined ? new Response('not found', { status: 404 }) : new Response(body, { status: 200 });
  };
}

describe('TrustClient update workflow', () => {
  let repo: Repo;
  let store: MemoryTrustedMetadataStore;
  let client: TrustClient;
  beforeEach(async () => {
    repo = new Repo(await generateKeyPair());
    store = new MemoryTrustedMetadataStore();
    await TrustClient.initialise(store, repo.root());
    client = new TrustClient({ metadataUrl: 'https://repo.test/', targetsUrl: 'https://repo.test/', fetch: repo.fetch, store });
    repo.publish(1, 1, 1);
    await client.refresh();
    repo.requests = [];
  });

  it('stops at an unchanged timestamp: snapshot and targets are not downloaded again', async () => {
    await client.refresh();
    expect(repo.requests).toEqual(['2.root.json', 'timestamp.json']);
  });

  it('keeps the trusted timestamp when one of the same version but other content comes (spec 1.0.30)', async () => {
    const trusted = await store.load('timestamp');
    // Same version, signed, naming a snapshot that does not exist: followed, it would fail the refresh.
    repo.publish(1, 7, 1, { note: 'other content' });
    await client.refresh();
    expect(repo.requests).toEqual(['2.root.json', 'timestamp.json']);
    expect(await store.load('timestamp')).toBe(trusted);
  });

  it('downloads only what changed: a new timestamp over the same snapshot fetches neither snapshot nor targets', async () => {
    repo.publish(2, 1, 1);
    await client.refresh();
    expect(repo.requests).toEqual(['2.root.json', 'timestamp.json']);
    repo.requests = [];
    repo.publish(3, 2, 1);
    await client.refresh();
    expect(repo.requests).toEqual(['2.root.json', 'timestamp.json', 'snapshot.json']);
    repo.requests = [];
    repo.publish(4, 3, 2);
    await client.refresh();
    expect(repo.requests).toEqual(['2.root.json', 'timestamp.json', 'snapshot.json', 'targets.json']);
  });

  it('refuses metadata that lists one key id twice, though the key would count once', async () => {
    const signed = { _type: 'timestamp', spec_version: '1.0.31', version: 2, expires: FAR, meta: { 'snapshot.json': { version: 1 } } };
    repo.files.set('timestamp.json', repo.sign(signed, [repo.key.keyid, repo.key.keyid]));
    await expect(client.refresh()).rejects.toMatchObject({ code: 'signature-threshold', message: expect.stringContaining('more than once') });
  });
});

describe('TrustClient target files under consistent snapshots (TUF 5.7.3)', () => {
  const content = new TextEncoder().encode('artifact bytes');
  const hex = async (algorithm: 'SHA-256' | 'SHA-512') => Buffer.from(await crypto.subtle.digest(algorithm, content)).toString('hex');

  async function consistentRepo(): Promise<{ repo: Repo; client: TrustClient; sha512: string }> {
    const repo = new Repo(await generateKeyPair());
    const role = { keyids: [repo.key.keyid], threshold: 1 };
    const root = repo.sign({ _type: 'root', spec_version: '1.0.31', version: 1, expires: FAR, consistent_snapshot: true, keys: { [repo.key.keyid]: publicPart(repo.key) }, roles: { root: role, targets: role, snapshot: role, timestamp: role } });
    const [sha256, sha512] = [await hex('SHA-256'), await hex('SHA-512')];
    repo.files.set('1.targets.json', repo.sign({ _type: 'targets', spec_version: '1.0.31', version: 1, expires: FAR, targets: { 'dir/file.tgz': { length: content.length, hashes: { sha256, sha512 } } } }));
    repo.files.set('1.snapshot.json', repo.sign({ _type: 'snapshot', spec_version: '1.0.31', version: 1, expires: FAR, meta: { 'targets.json': { version: 1 } } }));
    repo.files.set('timestamp.json', repo.sign({ _type: 'timestamp', spec_version: '1.0.31', version: 1, expires: FAR, meta: { 'snapshot.json': { version: 1 } } }));
    const store = new MemoryTrustedMetadataStore();
    await TrustClient.initialise(store, root);
    const client = new TrustClient({ metadataUrl: 'https://repo.test/', targetsUrl: 'https://repo.test/', fetch: repo.fetch, store });
    await client.refresh();
    repo.requests = [];
    return { repo, client, sha512 };
  }

  it('fetches <dir>/<sha512>.<file>', async () => {
    const { repo, client, sha512 } = await consistentRepo();
    repo.files.set(`dir/${sha512}.file.tgz`, new TextDecoder().decode(content));
    expect(await client.download('dir/file.tgz')).toEqual(content);
    expect(repo.requests).toEqual([`dir/${sha512}.file.tgz`]);
  });

  it('falls back to <dir>/<file> on a 404 (a mirror exported before), and checks those bytes just the same', async () => {
    const { repo, client, sha512 } = await consistentRepo();
    repo.files.set('dir/file.tgz', new TextDecoder().decode(content));
    expect(await client.download('dir/file.tgz')).toEqual(content);
    expect(repo.requests).toEqual([`dir/${sha512}.file.tgz`, 'dir/file.tgz']);
    repo.files.set('dir/file.tgz', 'artifact bytez');
    await expect(client.download('dir/file.tgz')).rejects.toMatchObject({ code: 'hash-mismatch' });
  });
});
