import { publishDocument } from '../../src/index.js';
import { packageJsonEntry, rawTgz } from './raw-tar.js';

/** A publish body as npm sends it, for a tiny package whose index.js exports its version. */
export function publishBody(name: string, version: string, opts: { tag?: string; manifest?: Record<string, unknown>; packageJson?: Record<string, unknown> } = {}) {
  const manifest = { name, version, main: 'index.js', ...opts.manifest };
  const tarball = rawTgz([packageJsonEntry(name, version, { main: 'index.js', ...(opts.packageJson ?? opts.manifest) }), { path: 'package/index.js', body: `module.exports = ${JSON.stringify(version)};\n` }]);
  return { body: publishDocument(manifest, tarball, opts.tag), tarball };
}

export const encodeName = (name: string) => name.replace('/', '%2f');
