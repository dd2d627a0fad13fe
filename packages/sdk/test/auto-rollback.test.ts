import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResolvedVersionSchema, RolloutSchema, type Rollout } from '@wharf/core';
import { HealthReporter } from '../src/index.js';
import { packDirectory, publishDocument } from '../../server/src/index.js';
import { ADMIN_TOKEN, addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';

/**
 * Issue 5's end-to-end check: an error spike reported by SDK installs rolls a staged rollout back
 * on the server by itself, and every install then resolves the previous version.
 */

const PLUGIN = '@acme/charts';
const INSTALLS = Array.from({ length: 200 }, (_, i) => `install-${i.toString(36)}-${(i * 7919).toString(16)}`);

async function publish(w: TestWharf, token: string, version: string, tag: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-sdk-rollback-'));
  const manifest = { name: PLUGIN, version };
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
  const res = await w.app.inject({ method: 'PUT', url: `/${PLUGIN.replace('/', '%2f')}`, headers: bearer(token), payload: publishDocument(manifest, await packDirectory(dir), tag) });
  await rm(dir, { recursive: true, force: true });
  expect(res.statusCode, res.body).toBe(201);
}

/** One simulated host application: resolves its plugin version over HTTP and reports through its own HealthReporter. */
class SimulatedInstall {
  readonly reporter: HealthReporter;
  version: string | null = null;

  constructor(
    readonly id: string,
    private readonly base: string,
  ) {
    this.reporter = new HealthReporter({ url: base, backoffMs: 50 });
  }

  async resolve(): Promise<string> {
    const res = await fetch(`${this.base}/api/v1/rollouts/resolve?plugin=${encodeURIComponent(PLUGIN)}&channel=stable&installId=${encodeURIComponent(this.id)}`);
    expect(res.status).toBe(200);
    this.version = ResolvedVersionSchema.parse(await res.json()).version;
    return this.version;
  }

  /** Three sessions' worth of use: the broken version fails to activate twice out of three, the good one once in a while. */
  use(index: number): void {
    for (let session = 0; session < 3; session++) {
      const fails = this.version === '2.0.0' ? session > 0 : session === 0 && index % 25 === 0;
      if (fails) this.reporter.recordError(PLUGIN, this.version!);
      else this.reporter.recordActivation(PLUGIN, this.version!);
    }
  }
}

/** Runs `fn` over `items`, `width` at a time: two hundred installs, not two hundred sockets at once. */
async function inBatches<T>(items: T[], width: number, fn: (item: T, index: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map((item, j) => fn(item, i + j)));
}

describeEachBackend('automatic rollback driven by SDK health reports', (backend) => {
  let w: TestWharf;
  let base: string;
  let rollout: Rollout;
  const rm = { headers: {} as Record<string, string> };
  const installs: SimulatedInstall[] = [];

  beforeAll(async () => {
    // Two hundred installs report from one address here: the per-address report limit is raised to match.
    w = await createTestWharf(backend, { reportRateLimit: 10_000 });
    const publisher = await addUser(w, 'pub');
    rm.headers = bearer(await addUser(w, 'relman'));
    await w.app.inject({ method: 'PUT', url: '/api/v1/users/relman/role', headers: bearer(ADMIN_TOKEN), payload: { role: 'release-manager' } });
    await publish(w, publisher, '1.0.0', 'stable');
    await publish(w, publisher, '2.0.0', 'latest');
    const res = await w.app.inject({ method: 'POST', url: '/api/v1/rollouts', headers: rm.headers, payload: { plugin: PLUGIN, channel: 'stable', version: '2.0.0', percentage: 30, errorThreshold: 0.1, minSample: 60 } });
    expect(res.statusCode, res.body).toBe(201);
    rollout = RolloutSchema.parse(res.json());
    base = await w.app.listen({ port: 0, host: '127.0.0.1' });
    for (const id of INSTALLS) installs.push(new SimulatedInstall(id, base));
  });
  afterAll(() => w.destroy());

  it('serves the new version to the rollout cohort only', async () => {
    await inBatches(installs, 20, (i) => i.resolve());
    const cohort = installs.filter((i) => i.version === '2.0.0').length;
    expect(installs.every((i) => i.version === '1.0.0' || i.version === '2.0.0')).toBe(true);
    // 30 % of 200, give or take the hash's spread.
    expect(cohort).toBeGreaterThan(35);
    expect(cohort).toBeLessThan(85);
  });

  it('rolls the rollout back once the cohort’s reports show an error spike, audited, and every install gets the previous version', async () => {
    installs.forEach((install, index) => install.use(index));
    await inBatches(installs, 20, (i) => i.reporter.flush());

    const after = RolloutSchema.parse((await w.app.inject({ url: `/api/v1/rollouts/${rollout.id}`, headers: rm.headers })).json());
    expect(after.state).toBe('rolled_back');
    // The decision was taken on whatever had arrived by then: rates well apart, whatever the order.
    expect(after.reason).toMatch(/^automatic: error rate 0\.6\d+ vs 0\.0\d+ for 1\.0\.0/);

    // Every count arrived once, despite 200 reporters posting concurrently.
    const health = (await w.app.inject({ url: `/api/v1/rollouts/health?plugin=${encodeURIComponent(PLUGIN)}`, headers: rm.headers })).json();
    const cohort = installs.filter((i) => i.version === '2.0.0').length;
    const goodErrors = installs.filter((i, index) => i.version === '1.0.0' && index % 25 === 0).length;
    expect(health.versions).toEqual([
      { version: '1.0.0', activations: 3 * (INSTALLS.length - cohort) - goodErrors, errors: goodErrors, errorRate: expect.any(Number) },
      { version: '2.0.0', activations: cohort, errors: 2 * cohort, errorRate: 0.6667 },
    ]);

    const audit = (await w.app.inject({ url: '/api/v1/audit?action=rollouts.rollback', headers: bearer(ADMIN_TOKEN) })).json();
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({ actor: 'system', target: expect.stringContaining(rollout.id), before: { state: 'active' }, after: { state: 'rolled_back' } });
    expect((await w.app.inject({ url: '/api/v1/audit/verify', headers: bearer(ADMIN_TOKEN) })).json()).toMatchObject({ ok: true });

    await inBatches(installs, 20, (i) => i.resolve());
    expect(new Set(installs.map((i) => i.version))).toEqual(new Set(['1.0.0']));
  });
});
