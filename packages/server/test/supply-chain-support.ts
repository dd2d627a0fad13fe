import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packDirectory, publishDocument } from '../src/index.js';
import { bearer, type TestWharf } from './helpers.js';

/** Packs a package from a manifest and extra files (path → content); index.js is added when absent. */
export async function packPackage(manifest: Record<string, unknown>, files: Record<string, string> = {}): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-sc-pkg-'));
  try {
    await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    const all = { 'index.js': `module.exports = ${JSON.stringify(manifest.version)};\n`, ...files };
    for (const [path, content] of Object.entries(all)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    return await packDirectory(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Publishes over the npm protocol, as `npm publish` would. */
export async function publish(w: TestWharf, token: string, manifest: Record<string, unknown>, files: Record<string, string> = {}) {
  const tarball = await packPackage(manifest, files);
  const name = String(manifest.name);
  const res = await w.app.inject({ method: 'PUT', url: `/${name.replace('/', '%2f')}`, headers: bearer(token), payload: publishDocument(manifest as { name: string; version: string }, tarball) });
  return { res, tarball };
}

/** A GitHub-style OSV advisory for one npm package: affected from `introduced` up to `fixed`. */
export function osvAdvisory(id: string, pkg: string, introduced: string, fixed: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema_version: '1.6.0',
    id,
    modified: '2026-01-10T12:00:00Z',
    published: '2026-01-09T12:00:00Z',
    summary: `Prototype pollution in ${pkg}`,
    details: `Versions of ${pkg} before ${fixed} let attackers pollute Object.prototype.`,
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [{ package: { ecosystem: 'npm', name: pkg }, ranges: [{ type: 'SEMVER', events: [{ introduced }, { fixed }] }] }],
    references: [{ type: 'ADVISORY', url: `https://example.test/advisories/${id}` }],
    database_specific: { cwe_ids: ['CWE-1321'] },
    ...extra,
  };
}
