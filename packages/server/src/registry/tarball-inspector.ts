import { Parser, type ReadEntry } from 'tar';
import { posix } from 'node:path';
import { jsonDeeperThan, MAX_JSON_DEPTH } from '../http.js';
import { feedTarball, TarballError } from './tgz-stream.js';

export { TarballError };

export interface TarballFacts {
  packageJson: Record<string, unknown>;
  files: { path: string; size: number }[];
  unpackedSize: number;
}

export interface TarballLimits {
  /** Bytes the files may add up to once unpacked. */
  maxUnpackedBytes: number;
  /** Entries (files, links, directories) a package may hold: every file is listed in signed metadata and the SBOM. */
  maxFiles: number;
  /** Unpacked bytes per packed byte allowed once a package unpacks past RATIO_FLOOR (decompression bombs). */
  maxCompressionRatio: number;
}

/** Below this many unpacked bytes any compression ratio is harmless (a few KiB of repeated text). */
const RATIO_FLOOR = 1024 * 1024;
/** tar framing on top of file contents: a 512-byte header and up to 511 bytes of padding per entry, and the end blocks. */
const TAR_OVERHEAD_PER_ENTRY = 1024;

const ENTRY_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);
const MAX_PACKAGE_JSON = 1024 * 1024;

/**
 * Reads a package tarball without unpacking it and refuses anything an installer should not have
 * to trust: not gzip, entries outside `package/`, absolute or `..` paths, links leaving the package,
 * devices, more entries or unpacked bytes than allowed, or a compression ratio only a bomb has. It
 * streams (see feedTarball) and stops at the first refusal: the sizes are in each entry's header,
 * so a bomb is refused before its contents are inflated. Returns its package.json and file list.
 */
export async function inspectTarball(bytes: Uint8Array, limits: TarballLimits): Promise<TarballFacts> {
  const { maxUnpackedBytes, maxFiles, maxCompressionRatio } = limits;
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw new TarballError('tarball is not gzip-compressed');
  const files: { path: string; size: number }[] = [];
  let entries = 0;
  let unpackedSize = 0;
  let packageJson: Buffer | null = null;
  let failure: string | null = null;
  const fail = (msg: string) => {
    failure ??= msg;
  };

  const parser = new Parser({
    strict: true,
    onwarn: (_code, message) => fail(`tarball is malformed: ${message}`),
    onReadEntry: (entry: ReadEntry) => {
      const problem = entryProblem(entry);
      if (problem) fail(problem);
      if (++entries > maxFiles) fail(`tarball has more than ${maxFiles} entries`);
      if (entry.type !== 'Directory' && !problem) {
        unpackedSize += entry.size;
        if (unpackedSize > maxUnpackedBytes) fail(`tarball unpacks to more than ${maxUnpackedBytes} bytes`);
        else if (unpackedSize > RATIO_FLOOR && unpackedSize > maxCompressionRatio * bytes.length) {
          fail(`tarball unpacks to more than ${maxCompressionRatio} times its ${bytes.length} bytes: refused as a decompression bomb`);
        }
        files.push({ path: normalise(entry.path).slice('package/'.length), size: entry.size });
      }
      if (!problem && normalise(entry.path) === 'package/package.json' && entry.type === 'File') {
        if (entry.size > MAX_PACKAGE_JSON) fail('package.json is larger than 1 MiB');
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => {
          packageJson = Buffer.concat(chunks);
        });
        return;
      }
      entry.resume();
    },
  });
  await feedTarball(bytes, parser, maxUnpackedBytes + (maxFiles + 2) * TAR_OVERHEAD_PER_ENTRY, () => failure !== null).catch((err: unknown) => fail((err as Error).message));

  if (failure) throw new TarballError(failure);
  if (files.length === 0) throw new TarballError('tarball has no files');
  if (!packageJson) throw new TarballError('tarball has no package/package.json');
  let parsed: unknown;
  const text = (packageJson as Buffer).toString('utf8');
  if (jsonDeeperThan(text, MAX_JSON_DEPTH)) throw new TarballError(`package/package.json nests arrays and objects more than ${MAX_JSON_DEPTH} deep`);
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TarballError('package/package.json is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TarballError('package/package.json is not a JSON object');
  return { packageJson: parsed as Record<string, unknown>, files, unpackedSize };
}

function normalise(path: string): string {
  return path.replace(/\/+$/, '');
}

function entryProblem(entry: ReadEntry): string | null {
  const raw = entry.path;
  if (entry.type === 'Directory' && normalise(raw) === 'package') return null;
  if (!ENTRY_TYPES.has(entry.type)) return `tarball entry ${raw} is a ${entry.type}, which packages may not contain`;
  if (!isInsidePackage(raw)) return `tarball entry ${JSON.stringify(raw)} is outside package/`;
  // Per-file hashes are keyed by package-relative path in JSON objects, where this one key is the
  // prototype: parsers and schema validators drop it, so the file could not be listed and checked.
  if (normalise(raw) === 'package/__proto__') return 'tarball entry package/__proto__: a file with that name at the package root cannot be listed in signed per-file hashes; rename it';
  if (entry.type === 'SymbolicLink') {
    const target = entry.linkpath ?? '';
    if (target.startsWith('/') || !isInsidePackage(posix.join(posix.dirname(raw), target))) return `symbolic link ${raw} points outside the package (${target})`;
  }
  if (entry.type === 'Link' && !isInsidePackage(entry.linkpath ?? '')) return `hard link ${raw} points outside the package (${entry.linkpath ?? ''})`;
  return null;
}

/** A relative path whose normal form stays under `package/`. */
function isInsidePackage(path: string): boolean {
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path) || path.includes('\\') || path.includes('\0')) return false;
  if (path.split('/').includes('..')) return false;
  const normal = posix.normalize(path);
  return normal.startsWith('package/') && normal.length > 'package/'.length;
}
