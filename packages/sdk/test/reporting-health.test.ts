import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthReporter } from '../src/index.js';
import { ADMIN_TOKEN, bearer, createTestWharf, type TestWharf } from '../../server/test/helpers.js';

/** fetch that records every report post and can answer some attempts itself instead of the server. */
function reportFetch(script: Array<'network' | 503 | 429 | 400 | 'pass'> = []) {
  const posts: { status: number | 'network'; body: unknown }[] = [];
  const fn: typeof fetch = async (input, init) => {
    const body = JSON.parse(String(init?.body));
    const step = script.shift() ?? 'pass';
    if (step === 'network') {
      posts.push({ status: 'network', body });
      throw new TypeError('fetch failed');
    }
    if (step !== 'pass') {
      posts.push({ status: step, body });
      return new Response(JSON.stringify({ error: 'scripted' }), { status: step, headers: step === 429 ? { 'retry-after': '0' } : {} });
    }
    const res = await fetch(input, init);
    posts.push({ status: res.status, body });
    return res;
  };
  return { fn, posts };
}

describe('HealthReporter against a listening server', () => {
  let w: TestWharf;
  let base: string;
  const health = async (plugin: string) =>
    (await w.app.inject({ url: `/api/v1/rollouts/health?plugin=${encodeURIComponent(plugin)}`, headers: bearer(ADMIN_TOKEN) })).json().versions as { version: string; activations: number; errors: number }[];
  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    base = await w.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => w.destroy());

  it('aggregates per plugin@version and posts counts only', async () => {
    const rec = reportFetch();
    const reporter = new HealthReporter({ url: base, fetch: rec.fn });
    for (let i = 0; i < 7; i++) reporter.recordActivation('@acme/a', '1.0.0');
    for (let i = 0; i < 3; i++) reporter.recordError('@acme/a', '1.0.0');
    reporter.recordError('@acme/a', '1.1.0');
    reporter.recordActivation('@acme/b', '0.1.0');
    expect(reporter.pending()).toHaveLength(3);
    await reporter.flush();
    expect(rec.posts).toHaveLength(1);
    expect(rec.posts[0]!.status).toBe(202);
    // Nothing but plugin, version and the two counts leaves the machine.
    expect(rec.posts[0]!.body).toEqual({
      reports: [
        { plugin: '@acme/a', version: '1.0.0', activations: 7, errors: 3 },
        { plugin: '@acme/a', version: '1.1.0', activations: 0, errors: 1 },
        { plugin: '@acme/b', version: '0.1.0', activations: 1, errors: 0 },
      ],
    });
    expect(await health('@acme/a')).toEqual([expect.objectContaining({ version: '1.0.0', activations: 7, errors: 3 }), expect.objectContaining({ version: '1.1.0', activations: 0, errors: 1 })]);
    expect(reporter.pending()).toEqual([]);
    await reporter.flush();
    expect(rec.posts).toHaveLength(1);
  });

  it('splits more than 100 plugin versions into several posts', async () => {
    const rec = reportFetch();
    const reporter = new HealthReporter({ url: base, fetch: rec.fn });
    for (let i = 0; i < 230; i++) reporter.recordActivation('@acme/many', `1.0.${i}`);
    await reporter.flush();
    expect(rec.posts.map((p) => (p.body as { reports: unknown[] }).reports.length)).toEqual([100, 100, 30]);
    expect(rec.posts.every((p) => p.status === 202)).toBe(true);
    const versions = await health('@acme/many');
    expect(versions).toHaveLength(230);
    expect(versions.every((v) => v.activations === 1)).toBe(true);
  });

  it('splits a count over the server’s per-entry bound into several entries', async () => {
    const rec = reportFetch();
    const reporter = new HealthReporter({ url: base, fetch: rec.fn });
    for (let i = 0; i < 1_000_003; i++) reporter.recordActivation('@acme/busy', '1.0.0');
    reporter.recordError('@acme/busy', '1.0.0');
    await reporter.flush();
    expect(rec.posts.map((p) => p.status)).toEqual([202]);
    expect((rec.posts[0]!.body as { reports: unknown[] }).reports).toEqual([
      { plugin: '@acme/busy', version: '1.0.0', activations: 1_000_000, errors: 1 },
      { plugin: '@acme/busy', version: '1.0.0', activations: 3, errors: 0 },
    ]);
    expect(await health('@acme/busy')).toEqual([expect.objectContaining({ activations: 1_000_003, errors: 1 })]);
  });

  it('retries network failures, 5xx and 429 with backoff, counting each report once', async () => {
    const rec = reportFetch(['network', 503, 429]);
    const reporter = new HealthReporter({ url: base, fetch: rec.fn, backoffMs: 10 });
    reporter.recordError('@acme/retry', '2.0.0');
    await reporter.flush();
    expect(rec.posts.map((p) => p.status)).toEqual(['network', 503, 429, 202]);
    expect(await health('@acme/retry')).toEqual([expect.objectContaining({ activations: 0, errors: 1 })]);
  });

  it('keeps the counts for the next flush when every attempt fails, and does not retry a 400', async () => {
    const rec = reportFetch([503, 503, 400]);
    const reporter = new HealthReporter({ url: base, fetch: rec.fn, backoffMs: 5, attempts: 2 });
    reporter.recordActivation('@acme/kept', '1.0.0');
    await expect(reporter.flush()).rejects.toThrow(/503/);
    // Recorded meanwhile: merged with the unsent counts.
    reporter.recordActivation('@acme/kept', '1.0.0');
    expect(reporter.pending()).toEqual([{ plugin: '@acme/kept', version: '1.0.0', activations: 2, errors: 0 }]);
    await expect(reporter.flush()).rejects.toThrow(/400/);
    expect(rec.posts.map((p) => p.status)).toEqual([503, 503, 400]);
    await reporter.flush();
    expect(await health('@acme/kept')).toEqual([expect.objectContaining({ activations: 2 })]);
  });

  it('flushes on a schedule until stopped, and refuses what the server could never accept', async () => {
    const rec = reportFetch();
    const errors: Error[] = [];
    const reporter = new HealthReporter({ url: base, fetch: rec.fn, onError: (e) => errors.push(e) });
    reporter.start({ intervalMs: 30 });
    reporter.recordActivation('@acme/timed', '1.0.0');
    await expect.poll(() => rec.posts.length).toBe(1);
    reporter.recordActivation('@acme/timed', '1.0.0');
    await expect.poll(() => rec.posts.length).toBe(2);
    reporter.stop();
    reporter.recordActivation('@acme/timed', '1.0.0');
    await new Promise((r) => setTimeout(r, 150));
    expect(rec.posts).toHaveLength(2);
    expect(errors).toEqual([]);
    expect(() => reporter.recordError('', '1.0.0')).toThrow(TypeError);
    expect(() => reporter.recordError('@acme/x', 'v'.repeat(300))).toThrow(TypeError);
  });
});
