import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlagClient, type FlagsChanged } from '../src/index.js';
import { ADMIN_TOKEN, bearer, createTestWharf, type TestWharf } from '../../server/test/helpers.js';

const admin = bearer(ADMIN_TOKEN);

const flagSet = {
  version: 1,
  features: [
    { name: 'on', enabled: true, strategies: [{ name: 'default' }] },
    { name: 'half', enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: '50', stickiness: 'default', groupId: 'half' } }] },
    { name: 'pro-only', enabled: true, strategies: [{ name: 'default', constraints: [{ contextName: 'plan', operator: 'IN', values: ['pro'] }] }] },
    { name: 'theme', enabled: true, strategies: [{ name: 'default' }], variants: [{ name: 'dark', weight: 500, payload: { type: 'string', value: 'dark' } }, { name: 'light', weight: 500, payload: { type: 'string', value: 'light' } }] },
  ],
};

/** fetch that records each response's method, path and status, and can be told to fail. */
function recordingFetch() {
  const seen: { path: string; status: number; ifNoneMatch: string | null }[] = [];
  let failWith: 'network' | 'invalid' | null = null;
  const fn: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    if (failWith === 'network') throw new TypeError('fetch failed');
    const res = await fetch(input, init);
    seen.push({ path: url.pathname, status: res.status, ifNoneMatch: new Headers(init?.headers).get('if-none-match') });
    if (failWith === 'invalid' && url.pathname === '/api/client/features') return new Response(JSON.stringify({ version: 1, features: [{ name: 5 }] }), { status: 200, headers: { 'content-type': 'application/json', etag: '"bogus"' } });
    return res;
  };
  return { fn, seen, fail: (how: typeof failWith) => (failWith = how) };
}

const patch = async (w: TestWharf, key: string, body: object) => {
  const res = await w.app.inject({ method: 'PATCH', url: `/api/v1/flags/${key}`, headers: admin, payload: body });
  expect(res.statusCode, res.body).toBe(200);
};

/** Waits until `predicate` holds, polling; fails after `ms`. */
async function until(predicate: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('FlagClient against a listening server', () => {
  let w: TestWharf;
  let base: string;
  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    expect((await w.app.inject({ method: 'PUT', url: '/api/v1/flags', headers: admin, payload: flagSet })).statusCode).toBe(200);
    base = await w.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => w.destroy());

  it('evaluates locally exactly as the server evaluates over OFREP', async () => {
    const client = new FlagClient({ url: base });
    expect(client.ready).toBe(false);
    expect(client.isEnabled('on')).toBe(false);
    expect(await client.refresh()).toBe(true);
    expect(client.keys()).toEqual(['on', 'half', 'pro-only', 'theme']);
    let enabled = 0;
    for (let i = 0; i < 60; i++) {
      const userId = `tenant-${i}`;
      const plan = i % 3 === 0 ? 'pro' : 'free';
      const res = await fetch(`${base}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ context: { targetingKey: userId, plan } }) });
      const remote = new Map(((await res.json()) as { flags: { key: string; value: unknown; variant: string }[] }).flags.map((f) => [f.key, f]));
      const context = { userId, properties: { plan } };
      expect(client.isEnabled('half', context)).toBe(remote.get('half')!.value);
      expect(client.isEnabled('pro-only', context)).toBe(remote.get('pro-only')!.value);
      expect(client.getVariant('theme', context).name).toBe(remote.get('theme')!.variant);
      expect(client.evaluate('on', context)).toMatchObject({ enabled: true, reason: 'STATIC' });
      if (client.isEnabled('half', context)) enabled++;
    }
    // Both sides agree, and the rollout really splits the population.
    expect(enabled).toBeGreaterThan(15);
    expect(enabled).toBeLessThan(45);
    expect(client.evaluate('missing')).toBeUndefined();
    expect(client.isEnabled('missing')).toBe(false);
  });

  it('revalidates with If-None-Match: an unchanged set costs a 304 and no change event', async () => {
    const rec = recordingFetch();
    const client = new FlagClient({ url: base, fetch: rec.fn });
    const changes: FlagsChanged[] = [];
    client.on('change', (c) => changes.push(c));
    await client.refresh();
    expect(changes).toEqual([{ keys: ['on', 'half', 'pro-only', 'theme'] }]);
    expect(await client.refresh()).toBe(false);
    expect(rec.seen.map((s) => s.status)).toEqual([200, 304]);
    expect(rec.seen[0]!.ifNoneMatch).toBeNull();
    expect(rec.seen[1]!.ifNoneMatch).toMatch(/^"/);
    expect(changes).toHaveLength(1);

    await patch(w, 'half', { percentage: 100 });
    expect(await client.refresh()).toBe(true);
    expect(changes[1]).toEqual({ keys: ['half'] });
    expect(client.isEnabled('half', { userId: 'anyone' })).toBe(true);
    await patch(w, 'half', { percentage: 50 });
  });

  it('keeps the last good set when a download fails or is invalid', async () => {
    const rec = recordingFetch();
    const client = new FlagClient({ url: base, fetch: rec.fn });
    await client.refresh();
    rec.fail('network');
    await expect(client.refresh()).rejects.toThrow(/fetch failed/);
    expect(client.isEnabled('on')).toBe(true);
    rec.fail('invalid');
    await patch(w, 'on', { state: 'OFF' });
    await expect(client.refresh()).rejects.toThrow(/invalid flag set/);
    expect(client.isEnabled('on')).toBe(true);
    rec.fail(null);
    // The invalid answer's ETag was not kept: the next download gets the real set.
    expect(await client.refresh()).toBe(true);
    expect(client.isEnabled('on')).toBe(false);
    await patch(w, 'on', { state: 'ON' });
  });

  it('coalesces refreshes made during a download into one follow-up download', async () => {
    const rec = recordingFetch();
    const client = new FlagClient({ url: base, fetch: rec.fn });
    await Promise.all([client.refresh(), client.refresh(), client.refresh(), client.refresh()]);
    expect(rec.seen.map((s) => s.status)).toEqual([200, 304]);
  });

  it('polls until stopped, reporting failures on the error event', async () => {
    const rec = recordingFetch();
    const client = new FlagClient({ url: base, fetch: rec.fn });
    const changes: string[][] = [];
    const errors: Error[] = [];
    client.on('change', ({ keys }) => changes.push(keys));
    client.on('error', (e) => errors.push(e));
    client.startPolling(40);
    // Unchanged polls revalidate (304) until the set changes.
    await until(() => rec.seen.some((s) => s.status === 304));
    await patch(w, 'pro-only', { state: 'OFF' });
    await until(() => changes.some((k) => k.includes('pro-only')));
    rec.fail('network');
    await until(() => errors.length > 0);
    rec.fail(null);
    client.stop();
    // A download already under way when stop() ran may still land; nothing starts after it.
    await new Promise((r) => setTimeout(r, 100));
    const count = rec.seen.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(rec.seen.length).toBe(count);
    await patch(w, 'pro-only', { state: 'ON' });
  });

  it('refreshes on the server’s flags.changed notices without polling', async () => {
    const client = new FlagClient({ url: base, reconnectMs: 100 });
    const changes: string[][] = [];
    client.on('change', ({ keys }) => changes.push(keys));
    client.watchEvents();
    await until(() => client.ready);
    await patch(w, 'theme', { variants: [{ name: 'dark', weight: 1000, payload: { type: 'string', value: 'dark' } }] });
    await until(() => changes.some((k) => k.length === 1 && k[0] === 'theme'));
    expect(client.getVariant('theme', { userId: 'x' }).name).toBe('dark');
    client.stop();
  });

  it('reconnects to /events after the stream drops or fails, refreshing on each reconnection', async () => {
    let connections = 0;
    const errors: Error[] = [];
    // The first connection is cut right after it opens, the second is refused: the third is real.
    const flaky: typeof fetch = async (input, init) => {
      if (!String(input).includes('/events')) return fetch(input, init);
      connections++;
      if (connections === 1) return new Response('', { status: 200, headers: { 'content-type': 'text/event-stream' } });
      if (connections === 2) return new Response('{"error":"busy"}', { status: 503 });
      return fetch(input, init);
    };
    const client = new FlagClient({ url: base, fetch: flaky, reconnectMs: 50 });
    const changes: string[][] = [];
    client.on('change', ({ keys }) => changes.push(keys));
    client.on('error', (e) => errors.push(e));
    client.watchEvents();
    await until(() => connections >= 3 && client.ready);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/503/)]);
    await patch(w, 'on', { state: 'OFF' });
    await until(() => changes.some((k) => k.length === 1 && k[0] === 'on'));
    expect(client.isEnabled('on')).toBe(false);
    expect(connections).toBe(3);
    client.stop();
    await patch(w, 'on', { state: 'ON' });
  });
});
