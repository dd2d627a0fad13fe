import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPluginError, PluginLoader, UpdateManager, type DeltaUse } from '../src/index.js';
import { filesKey } from '../src/install/state.js';
import { harness, publishPlugin, type Harness } from './installer-support.js';

const NAME = '@acme/big';
const asset = randomBytes(60_000);
const edited = (n: number) => Buffer.concat([asset.subarray(0, 30_000), Buffer.from(`edit ${n}`), asset.subarray(30_006)]);

/** fetch that flips one byte of every delta it relays. */
const tamperingDeltas: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (!String(input).includes('/-/deltas/')) return res;
  const bytes = new Uint8Array(await res.arrayBuffer());
  bytes[bytes.length - 1]! ^= 1;
  return new Response(bytes, { status: res.status, headers: res.headers });
};

describe('delta updates in the SDK', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
    await publishPlugin(h.w, h.token, NAME, '1.0.0', { files: { 'assets/blob.bin': asset } });
    await publishPlugin(h.w, h.token, NAME, '1.0.1', { files: { 'assets/blob.bin': edited(1) } });
    await h.w.deltas.idle();
  });
  afterAll(() => h.destroy());

  it('updates through the signed delta, stores the files it yields, runs them, and rolls back', async () => {
    const { installer, store } = await h.client();
    await installer.install(NAME, '1.0.0');
    const used: (DeltaUse | undefined)[] = [];
    installer.on('installed', (e) => used.push(e.delta));
    expect(await installer.download(NAME, '1.0.1')).toEqual({ downloaded: true });
    expect(used).toHaveLength(1);
    expect(used[0]).toMatchObject({ from: '1.0.0' });
    expect(used[0]!.bytes).toBeLessThan(0.6 * used[0]!.fullBytes);
    expect((await installer.get(NAME))!.versions[0]).toMatchObject({ version: '1.0.1', form: 'files', delta: used[0] });
    expect(await store.get(filesKey(NAME, '1.0.1'))).not.toBeNull();

    await installer.activate(NAME, '1.0.1');
    const active = await installer.readActive(NAME);
    expect(Buffer.from(active.files.get('assets/blob.bin')!).equals(edited(1))).toBe(true);
    expect(await new PluginLoader({ installer }).loadPlugin(NAME, { register: (v: string) => `registered ${v}` })).toMatchObject({ version: '1.0.1', exports: 'registered 1.0.1' });
    expect(await installer.rollback(NAME)).toBe('1.0.0');
    await installer.activate(NAME, '1.0.1');
    expect((await installer.readActive(NAME)).version).toBe('1.0.1');
  });

  it.each([
    ['does not verify', tamperingDeltas],
    ['is missing from the mirror (404)', (async (input, init) => (String(input).includes('/-/deltas/') ? new Response('not found', { status: 404 }) : fetch(input, init))) as typeof fetch],
  ])('falls back to the full tarball when the delta %s', async (_label, fetchFn) => {
    const { installer } = await h.client({ fetch: fetchFn });
    await installer.install(NAME, '1.0.0');
    const used: (DeltaUse | undefined)[] = [];
    installer.on('installed', (e) => used.push(e.delta));
    await installer.install(NAME, '1.0.1');
    expect(used).toEqual([undefined]);
    expect((await installer.get(NAME))!.versions[0]).not.toHaveProperty('form');
    expect(Buffer.from((await installer.readActive(NAME)).files.get('assets/blob.bin')!).equals(edited(1))).toBe(true);
  });

  it('refuses files changed in the store after a delta update, and keeps the version that runs', async () => {
    const { installer, store } = await h.client();
    await installer.install(NAME, '1.0.0');
    await installer.download(NAME, '1.0.1');
    const pack = (await store.get(filesKey(NAME, '1.0.1')))!;
    const changed = Uint8Array.from(pack);
    changed[changed.length - 1]! ^= 1;
    await store.set(filesKey(NAME, '1.0.1'), changed);
    const err = await installer.activate(NAME, '1.0.1').catch((e: unknown) => e);
    expect(isPluginError(err) && err.code).toBe('verification-failed');
    expect((await installer.get(NAME))!.active).toBe('1.0.0');
  });

  it('is what UpdateManager uses for a background update', async () => {
    await publishPlugin(h.w, h.token, NAME, '1.0.2', { files: { 'assets/blob.bin': edited(2) } });
    await h.w.deltas.idle();
    const { installer } = await h.client();
    await installer.install(NAME, '1.0.1');
    const used: (DeltaUse | undefined)[] = [];
    installer.on('installed', (e) => used.push(e.delta));
    const updates = new UpdateManager({ installer });
    await updates.downloadUpdates();
    expect(used.map((d) => d?.from)).toEqual(['1.0.1']);
  });
});
