import { afterAll, beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnvelope, targetPath, verifyCatalog, type Catalog } from '@wharf/core';
import { addUser, bearer, createTestWharf, describeEachBackend, type TestWharf } from '../../server/test/helpers.js';
import { listen, pinnedClient, publish } from '../../server/test/trust-helpers.js';
import { exportMirror } from '../src/mirror.js';

/**
 * Whatever sequence of publishes, unpublishes, tag moves, deprecations and revocations an owner
 * runs, the packuments, the signed catalog, the TUF targets and a mirror exported from them agree:
 * a version is in all of them or in none, and the export verifies every file it writes.
 */
type Op =
  | { kind: 'publish'; pkg: number }
  | { kind: 'unpublish-version'; pkg: number; pick: number }
  | { kind: 'unpublish-package'; pkg: number }
  | { kind: 'tag'; pkg: number; pick: number; tag: string }
  | { kind: 'untag'; pkg: number; tag: string }
  | { kind: 'deprecate'; pkg: number; pick: number; message: string }
  | { kind: 'revoke'; pkg: number; pick: number };

const pkg = fc.integer({ min: 0, max: 1 });
const pick = fc.nat(20);
const tag = fc.constantFrom('next', 'beta');
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('publish' as const), pkg }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('unpublish-version' as const), pkg, pick }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('unpublish-package' as const), pkg }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('tag' as const), pkg, pick, tag }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('untag' as const), pkg, tag }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('deprecate' as const), pkg, pick, message: fc.constantFrom('', 'use the next one') }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('revoke' as const), pkg, pick }), weight: 1 },
);

describeEachBackend('packuments, signed catalog, TUF targets and mirror agree after any sequence of changes', (backend) => {
  let w: TestWharf;
  let base: string;
  let token: string;
  let rootFile: string;
  let run = 0;

  beforeAll(async () => {
    w = await createTestWharf(backend);
    base = await listen(w);
    token = await addUser(w, 'author');
    rootFile = join(await mkdtemp(join(tmpdir(), 'wharf-agree-')), 'root.json');
    await writeFile(rootFile, (await w.app.inject({ url: '/trust/1.root.json' })).body);
  });
  afterAll(() => w.destroy());

  const urlName = (name: string) => name.replace('/', '%2f');
  const packument = async (name: string) => {
    const res = await w.app.inject({ url: `/${urlName(name)}?write=true`, headers: bearer(token) });
    return res.statusCode === 404 ? null : (res.json() as { _rev: string; versions: Record<string, Record<string, unknown>>; 'dist-tags': Record<string, string> });
  };
  const versionsOf = async (name: string) => Object.keys((await packument(name))?.versions ?? {});

  /** Applies one operation as the npm CLI would send it; operations that do not apply (no such version) are skipped. */
  async function apply(o: Op, names: string[], next: number[]): Promise<void> {
    const name = names[o.pkg]!;
    const versions = await versionsOf(name);
    const chosen = 'pick' in o && versions.length > 0 ? versions[o.pick % versions.length]! : null;
    const ok = (status: number) => expect([200, 201], `${o.kind} ${name}`).toContain(status);
    switch (o.kind) {
      case 'publish':
        ok((await publish(w, token, name, `1.${next[o.pkg]!++}.0`)).statusCode);
        return;
      case 'unpublish-version': {
        const doc = await packument(name);
        if (!doc || !chosen || versions.length < 2) return;
        delete doc.versions[chosen];
        ok((await w.app.inject({ method: 'PUT', url: `/${urlName(name)}/-rev/${doc._rev}`, headers: bearer(token), payload: doc })).statusCode);
        return;
      }
      case 'unpublish-package':
        if (versions.length === 0) return;
        ok((await w.app.inject({ method: 'DELETE', url: `/${urlName(name)}/-rev/${(await packument(name))!._rev}`, headers: bearer(token) })).statusCode);
        return;
      case 'tag':
        if (!chosen) return;
        ok((await w.app.inject({ method: 'PUT', url: `/-/package/${urlName(name)}/dist-tags/${o.tag}`, headers: { ...bearer(token), 'content-type': 'application/json' }, payload: JSON.stringify(chosen) })).statusCode);
        return;
      case 'untag':
        if (versions.length === 0) return;
        expect([200, 404]).toContain((await w.app.inject({ method: 'DELETE', url: `/-/package/${urlName(name)}/dist-tags/${o.tag}`, headers: bearer(token) })).statusCode);
        return;
      case 'deprecate': {
        const doc = await packument(name);
        if (!doc || !chosen) return;
        doc.versions[chosen]!.deprecated = o.message;
        ok((await w.app.inject({ method: 'PUT', url: `/${urlName(name)}`, headers: bearer(token), payload: doc })).statusCode);
        return;
      }
      case 'revoke':
        if (!chosen) return;
        ok((await w.app.inject({ method: 'POST', url: '/trust/revocations', headers: bearer(token), payload: { name, version: chosen, reason: 'property test' } })).statusCode);
    }
  }

  /** What every verifying reader sees right after a change, each compared with the packuments. */
  async function expectAgreement(names: string[]): Promise<void> {
    const { client } = await pinnedClient(base, (url) => fetch(url));
    await client.refresh();
    const root = parseEnvelope('root', (await w.app.inject({ url: '/trust/root.json' })).body).signed;
    const catalog: Catalog = await verifyCatalog(new Uint8Array((await w.app.inject({ url: '/catalog.json' })).rawPayload), { root, now: new Date() });
    const targets = parseEnvelope('targets', (await w.app.inject({ url: '/trust/targets.json' })).body).signed;
    const listed = Object.values(targets.targets).map((t) => (t as { custom: { wharf: { name: string; version: string } } }).custom.wharf);
    for (const name of names) {
      const doc = await packument(name);
      const inPackument = Object.keys(doc?.versions ?? {}).sort();
      const plugin = catalog.plugins.find((p) => p.name === name);
      expect(plugin?.versions.map((v) => v.version).sort() ?? [], `catalog versions of ${name}`).toEqual(inPackument);
      expect(listed.filter((t) => t.name === name).map((t) => t.version).sort(), `targets of ${name}`).toEqual(inPackument);
      expect(plugin?.distTags ?? {}, `catalog dist-tags of ${name}`).toEqual(doc?.['dist-tags'] ?? {});
      for (const v of plugin?.versions ?? []) {
        const deprecated = doc!.versions[v.version]!.deprecated;
        expect(v.deprecated, `deprecation of ${name}@${v.version}`).toBe(typeof deprecated === 'string' && deprecated !== '' ? deprecated : null);
        // What the client verified is what the packument serves.
        expect(client.target(targetPath(name, v.version)), `verified target of ${name}@${v.version}`).toBeDefined();
      }
    }
  }

  it('holds for random sequences of publishes, unpublishes, tag moves, deprecations and revocations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 10 }), async (ops) => {
        run++;
        const names = [`@agree/a${run}`, `plain-b${run}`];
        const next = [0, 0];
        for (const name of names) await publish(w, token, name, `1.${next[names.indexOf(name)]!++}.0`);
        for (const o of ops) {
          await apply(o, names, next);
          await expectAgreement(names);
        }
        const report = await exportMirror({ registry: base, out: await mkdtemp(join(tmpdir(), 'wharf-agree-mirror-')), root: rootFile });
        const targets = parseEnvelope('targets', (await w.app.inject({ url: '/trust/targets.json' })).body).signed;
        expect(report.tarballs.written + report.tarballs.skippedRevoked).toBe(Object.keys(targets.targets).length);
      }),
      { numRuns: 15 },
    );
  });

  it('drops an unpublished version from the signed targets in the same change: a mirror export right after succeeds', async () => {
    expect((await publish(w, token, '@agree/direct', '1.0.0')).statusCode).toBe(201);
    expect((await publish(w, token, '@agree/direct', '1.1.0')).statusCode).toBe(201);
    const before = parseEnvelope('targets', (await w.app.inject({ url: '/trust/targets.json' })).body).signed;
    const doc = (await packument('@agree/direct'))!;
    delete doc.versions['1.1.0'];
    expect((await w.app.inject({ method: 'PUT', url: `/@agree%2fdirect/-rev/${doc._rev}`, headers: bearer(token), payload: doc })).statusCode).toBe(201);
    const after = parseEnvelope('targets', (await w.app.inject({ url: '/trust/targets.json' })).body).signed;
    expect(after.version).toBeGreaterThan(before.version);
    expect(Object.keys(after.targets)).not.toContain('@agree/direct/-/direct-1.1.0.tgz');
    expect(Object.keys(after.targets)).toContain('@agree/direct/-/direct-1.0.0.tgz');
    await exportMirror({ registry: base, out: await mkdtemp(join(tmpdir(), 'wharf-agree-mirror-')), root: rootFile });
    expect((await w.app.inject({ method: 'DELETE', url: `/@agree%2fdirect/-rev/${(await packument('@agree/direct'))!._rev}`, headers: bearer(token) })).statusCode).toBe(200);
    const gone = parseEnvelope('targets', (await w.app.inject({ url: '/trust/targets.json' })).body).signed;
    expect(Object.keys(gone.targets).filter((p) => p.startsWith('@agree/direct/'))).toEqual([]);
    await exportMirror({ registry: base, out: await mkdtemp(join(tmpdir(), 'wharf-agree-mirror-')), root: rootFile });
  });
});
