import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './servers.mjs';

/** Wharf's own npm-like packer and publish-body builder, from the root build. */
async function packer() {
  return import(pathToFileURL(join(repoRoot, 'packages/server/dist/registry/pack.js')).href);
}

/** Stands for the registry's URL in prepared bodies; `publish` puts the real one in. */
export const REGISTRY_URL = 'http://registry.bench.invalid';

const README_PARAGRAPH =
  'This package exists to be served by a registry benchmark. It carries a readme of realistic size, a few ' +
  'dependencies and the usual manifest fields, so that a full packument weighs what a small real one does.\n\n';

/**
 * One version as `npm publish` would send it: a tarball packed from a real directory and the JSON body
 * (manifest with readme, base64 attachment). `dependsOn` names other packages of the set.
 */
export async function buildVersion(workDir, name, version, dependsOn) {
  const { packDirectory, publishDocument } = await packer();
  const readme = `# ${name}\n\n${README_PARAGRAPH.repeat(6)}`;
  const packageJson = {
    name,
    version,
    description: `Benchmark package ${name}`,
    main: 'index.js',
    license: 'MIT',
    keywords: ['wharf', 'benchmark', 'plugin'],
    author: 'Wharf bench <bench@example.test>',
    repository: { type: 'git', url: `git+https://example.test/bench/${name}.git` },
    engines: { node: '>=20' },
    scripts: { test: 'node --test' },
    dependencies: Object.fromEntries(dependsOn.map((dep) => [dep, '^1.0.0'])),
  };
  const dir = join(workDir, `${name.replace('/', '__')}@${version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  writeFileSync(join(dir, 'index.js'), `export const name = ${JSON.stringify(name)};\nexport const version = ${JSON.stringify(version)};\n`);
  writeFileSync(join(dir, 'README.md'), readme);
  const tarball = await packDirectory(dir);
  rmSync(dir, { recursive: true, force: true });
  const manifest = { ...packageJson, readme, readmeFilename: 'README.md', _nodeVersion: process.versions.node, _npmVersion: '10.9.0' };
  const file = `${name.split('/').pop()}-${version}.tgz`;
  const doc = publishDocument(manifest, tarball);
  // npm (libnpmpublish) also sends dist.tarball, on the registry's URL; Verdaccio serves it from there.
  doc.versions[version].dist.tarball = `${REGISTRY_URL}/${name}/-/${file}`;
  return { name, version, tarball, body: JSON.stringify(doc), file };
}

export function packageName(i) {
  return `bench-pkg-${String(i).padStart(4, '0')}`;
}

/** The seeded set: `packages` names × `versions` versions each (1.0.0, 1.1.0, …), built once for every server. */
export async function buildPackageSet(workDir, packages, versions) {
  const set = [];
  for (let i = 0; i < packages; i++) {
    const name = packageName(i);
    const deps = packages > 1 ? [packageName((i + 1) % packages), packageName((i + 7) % packages)].filter((d) => d !== name) : [];
    const built = [];
    for (let v = 0; v < versions; v++) built.push(await buildVersion(workDir, name, `1.${v}.0`, [...new Set(deps)]));
    set.push({ name, versions: built });
  }
  return set;
}
