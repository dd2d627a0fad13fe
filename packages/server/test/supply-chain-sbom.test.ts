import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { addUser, createTestWharf, describeEachBackend, type TestWharf } from './helpers.js';
import { publish } from './supply-chain-support.js';

const sha512hex = (data: string | Buffer) => createHash('sha512').update(data).digest('hex');

interface CdxComponent {
  type: string;
  name: string;
  group?: string;
  purl?: string;
  scope?: string;
  'bom-ref': string;
  hashes?: { alg: string; content: string }[];
  properties?: { name: string; value: string }[];
}

describeEachBackend('supply chain: SBOM per publish', (backend) => {
  let w: TestWharf;
  let token: string;
  let tarball: Buffer;
  const files = { 'index.js': 'export const answer = 42;\n', 'lib/util.js': 'export const twice = (x) => 2 * x;\n' };
  const manifest = {
    name: '@cartae/plugin-sbom',
    version: '1.0.0',
    description: 'SBOM subject',
    dependencies: { 'left-pad': '^1.3.0', '@types/thing': '~2.1.0', aliased: 'npm:real-lib@^4.0.0', fromgit: 'github:user/repo' },
    optionalDependencies: { 'fsevents-ish': '2.x' },
    peerDependencies: { react: '>=18' },
    devDependencies: { vitest: '^4.0.0' },
  };

  beforeAll(async () => {
    w = await createTestWharf(backend);
    token = await addUser(w, 'sbom-owner');
    const published = await publish(w, token, manifest, files);
    expect(published.res.statusCode, published.res.body).toBe(201);
    tarball = published.tarball;
  });
  afterAll(() => w.destroy());

  it('serves a CycloneDX 1.6 SBOM that validates against the official JSON schema, with immutable caching', async () => {
    const res = await w.app.inject({ url: '/plugins/@cartae/plugin-sbom/1.0.0/sbom.json' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.cyclonedx+json; version=1.6');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const problems = await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(res.body);
    expect(problems).toBeNull();
    const bom = res.json();
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toBe('1.6');
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    // The package itself: its purl and the sha512 of the exact tarball the registry stored.
    expect(bom.metadata.component).toMatchObject({ type: 'library', group: '@cartae', name: 'plugin-sbom', version: '1.0.0', purl: 'pkg:npm/%40cartae/plugin-sbom@1.0.0' });
    expect(bom.metadata.component.hashes).toEqual([{ alg: 'SHA-512', content: sha512hex(tarball) }]);
  }, 120_000); // compiling the CycloneDX schema with ajv takes seconds on a busy machine

  it('lists every runtime dependency with its declared range and purl, and no devDependencies', async () => {
    const bom = (await w.app.inject({ url: '/plugins/@cartae%2fplugin-sbom/1.0.0/sbom.json' })).json();
    const deps = (bom.components as CdxComponent[]).filter((c) => c.type === 'library');
    const byRef = Object.fromEntries(deps.map((c) => [c['bom-ref'], c]));
    const range = (c: CdxComponent | undefined) => c?.properties?.find((p) => p.name === 'wharf:npm:declaredRange')?.value;
    expect(Object.keys(byRef).sort()).toEqual(
      ['dependency:@types/thing', 'dependency:fromgit', 'dependency:fsevents-ish', 'dependency:left-pad', 'dependency:react', 'dependency:real-lib'].sort(),
    );
    expect(byRef['dependency:left-pad']).toMatchObject({ name: 'left-pad', purl: 'pkg:npm/left-pad', scope: 'required' });
    expect(range(byRef['dependency:left-pad'])).toBe('^1.3.0');
    expect(byRef['dependency:@types/thing']).toMatchObject({ group: '@types', name: 'thing', purl: 'pkg:npm/%40types/thing' });
    expect(byRef['dependency:real-lib']).toMatchObject({ name: 'real-lib', purl: 'pkg:npm/real-lib' });
    expect(range(byRef['dependency:real-lib'])).toBe('npm:real-lib@^4.0.0');
    expect(byRef['dependency:fsevents-ish']!.scope).toBe('optional');
    // A git dependency is not a registry package: no purl pretends it is.
    expect(byRef['dependency:fromgit']!.purl).toBeUndefined();
    const root = (bom.dependencies as { ref: string; dependsOn?: string[] }[]).find((d) => d.ref === bom.metadata.component['bom-ref']);
    expect(root?.dependsOn?.sort()).toEqual(Object.keys(byRef).sort());
  });

  it('lists every file of the tarball with the sha512 of its content', async () => {
    const bom = (await w.app.inject({ url: '/plugins/@cartae/plugin-sbom/1.0.0/sbom.json' })).json();
    const fileComponents = (bom.components as CdxComponent[]).filter((c) => c.type === 'file');
    const hashes = Object.fromEntries(fileComponents.map((c) => [c.name, c.hashes?.find((h) => h.alg === 'SHA-512')?.content]));
    expect(Object.keys(hashes).sort()).toEqual(['index.js', 'lib/util.js', 'package.json']);
    expect(hashes['index.js']).toBe(sha512hex(files['index.js']));
    expect(hashes['lib/util.js']).toBe(sha512hex(files['lib/util.js']));
    expect(hashes['package.json']).toBe(sha512hex(JSON.stringify(manifest, null, 2)));
  });

  it('builds the SBOM of a version published before SBOMs existed from its stored tarball', async () => {
    const original = (await w.app.inject({ url: '/plugins/@cartae/plugin-sbom/1.0.0/sbom.json' })).json();
    await w.store.db.deleteFrom('sboms').where('package', '=', '@cartae/plugin-sbom').execute();
    const rebuilt = await w.app.inject({ url: '/plugins/@cartae/plugin-sbom/1.0.0/sbom.json' });
    expect(rebuilt.statusCode).toBe(200);
    const bom = rebuilt.json();
    expect(bom.serialNumber).toBe(original.serialNumber);
    expect(bom.components).toEqual(original.components);
    expect(bom.metadata.component).toEqual(original.metadata.component);
    expect(await w.store.db.selectFrom('sboms').select('package').where('package', '=', '@cartae/plugin-sbom').execute()).toHaveLength(1);
  });

  it('survives dependency maps npm itself would never send', async () => {
    const odd = { name: 'odd-deps', version: '1.0.0', dependencies: { '': '1.0.0', empty: 'npm:', spaced: 'not a range', 'legacy-UPPER': '1.x' }, peerDependencies: 'nonsense' };
    const res = (await publish(w, token, odd)).res;
    expect(res.statusCode, res.body).toBe(201);
    const bom = (await w.app.inject({ url: '/plugins/odd-deps/1.0.0/sbom.json' })).json();
    const names = (bom.components as CdxComponent[]).filter((c) => c.type === 'library').map((c) => c.name);
    expect(names.sort()).toEqual(['empty', 'legacy-UPPER', 'spaced']);
    expect((await w.app.inject({ url: '/plugins/odd-deps/1.0.0/vulnerabilities.json' })).json().findings).toEqual([]);
  });

  it('answers 404 JSON for unknown packages and versions, and after an unpublish', async () => {
    for (const url of ['/plugins/@cartae/plugin-sbom/9.9.9/sbom.json', '/plugins/nothing-here/1.0.0/sbom.json', '/plugins/@cartae/plugin-sbom/2.0.0/vulnerabilities.json']) {
      const res = await w.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error).toMatch(/does not exist/);
    }
    const unscoped = await publish(w, token, { name: 'gone-soon', version: '1.0.0' });
    expect(unscoped.res.statusCode).toBe(201);
    expect((await w.app.inject({ url: '/plugins/gone-soon/1.0.0/sbom.json' })).statusCode).toBe(200);
    const del = await w.app.inject({ method: 'DELETE', url: '/gone-soon/-rev/1', headers: { authorization: `Bearer ${token}` } });
    expect(del.statusCode, del.body).toBeLessThan(300);
    expect((await w.app.inject({ url: '/plugins/gone-soon/1.0.0/sbom.json' })).statusCode).toBe(404);
  });
});
