import { concatBytes } from '@wharf/core';

/**
 * The one reader of package tarballs (.tgz as `npm pack` writes them), on web APIs only
 * (DecompressionStream, ustar parsed by hand), so the registry, the CLI, the SDK in a browser and the
 * forge read archives the same way and refuse the same hostile ones. It streams: the gzip is inflated
 * a chunk at a time (off the event loop in Node, whose DecompressionStream runs on zlib's thread pool),
 * each entry is checked from its header before its body is read, and reading stops at the first
 * refusal or once the inflated bytes pass the bound (trailing data after the archive included). File bodies are hashed as they pass and kept only when asked.
 *
 * Written here rather than taken from node-tar: node-tar is Node-only (the SDK runs in browsers), and
 * every caller needs the same checks on entries as they stream by, which is most of this file anyway.
 */

export class TarballError extends Error {
  override name = 'TarballError';
}

export interface TarballLimits {
  /** Bytes the entries may add up to once unpacked. */
  maxUnpackedBytes: number;
  /** Entries (files, links, directories) a package may hold. */
  maxFiles: number;
  /** Unpacked bytes per packed byte allowed once a package unpacks past 1 MiB (decompression bombs). */
  maxCompressionRatio: number;
}

/** An incremental hash (sha512 for signed per-file hashes): node:crypto in Node, @noble/hashes elsewhere. */
export interface Hasher {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

export interface ReadTarballOptions {
  limits?: Partial<TarballLimits>;
  /**
   * "package" (default): what a registry accepts, symbolic and hard links included as long as they
   * stay inside the package. "install": regular files only, as an installer writes them.
   */
  mode?: 'package' | 'install';
  /** Hashes each regular file as it streams by. */
  hash?: () => Hasher;
  /** Keeps the bytes of the files it says yes to (package.json's are always kept). */
  keep?: (path: string) => boolean;
}

export interface TarballFile {
  /** The path inside `package/`. */
  path: string;
  size: number;
  /** With the `hash` option. */
  hash?: Uint8Array;
  /** With the `keep` option. */
  bytes?: Uint8Array;
}

export interface TarballLink {
  path: string;
  type: 'SymbolicLink' | 'Link';
  target: string;
}

export interface TarballContents {
  /** Regular files, sorted by path. */
  files: TarballFile[];
  /** In-package links (only in "package" mode). */
  links: TarballLink[];
  /** The bytes of `package/package.json`, when there is one. */
  packageJson: Uint8Array | null;
  /** The sum of the entries' sizes. */
  unpackedSize: number;
  /** Files, links and directories. */
  entries: number;
}

/** The SDK's bound when the caller gives none: more than any plugin a browser should run. */
export const DEFAULT_MAX_UNPACKED_BYTES = 256 * 1024 * 1024;
/** Below this many unpacked bytes any compression ratio is harmless (a few KiB of repeated text). */
const RATIO_FLOOR = 1024 * 1024;
/** tar framing per entry on top of its contents: headers, a pax record, padding. */
const TAR_OVERHEAD_PER_ENTRY = 2048;
const MAX_PACKAGE_JSON = 1024 * 1024;
/** pax records and GNU long names: a few hundred bytes in real archives. */
const MAX_META_BYTES = 64 * 1024;
/** Metadata headers (pax, long name, long link) in front of one entry. */
const MAX_META_HEADERS = 4;

const TYPES: Record<string, string> = {
  '0': 'File', '\0': 'File', '7': 'File', '1': 'Link', '2': 'SymbolicLink', '3': 'CharacterDevice',
  '4': 'BlockDevice', '5': 'Directory', '6': 'FIFO',
};

const decoder = new TextDecoder();

/** Reads a .tgz, refusing what no package should contain; throws TarballError with the reason. */
export async function readTarball(tgz: Uint8Array, options: ReadTarballOptions = {}): Promise<TarballContents> {
  if (tgz.length < 2 || tgz[0] !== 0x1f || tgz[1] !== 0x8b) throw new TarballError('tarball is not gzip-compressed');
  const parser = new PackageTarParser(tgz.length, options);
  const maxOutput = parser.limits.maxUnpackedBytes + (Math.min(parser.limits.maxFiles, 1_000_000) + 2) * TAR_OVERHEAD_PER_ENTRY;
  const reader = new Blob([tgz as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  let out = 0;
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (err) {
        throw new TarballError(`tarball does not decompress: ${(err as Error).message}`);
      }
      if (next.done) break;
      out += next.value.length;
      if (out > maxOutput) throw new TarballError(`tarball unpacks to more than ${parser.limits.maxUnpackedBytes} bytes`);
      // What follows the end-of-archive block is inflated but not parsed: a bomb hidden there still hits the bound.
      parser.push(next.value);
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return parser.finish();
}

interface OpenEntry {
  remaining: number;
  /** Zeros up to the next 512-byte block, skipped once the body is read. */
  padding: number;
  take(chunk: Uint8Array): void;
  done(): void;
}

/** The ustar state machine: headers are checked as they arrive, bodies handed on in the chunks they came in. */
class PackageTarParser {
  readonly limits: TarballLimits;
  ended = false;
  private readonly header = new Uint8Array(512);
  private headerFill = 0;
  private entry: OpenEntry | null = null;
  private padding = 0;
  private meta: { pax: Record<string, string>; longName?: string; longLink?: string; headers: number } = { pax: {}, headers: 0 };
  private readonly files: TarballFile[] = [];
  private readonly links: TarballLink[] = [];
  private readonly seen = new Set<string>();
  private packageJson: Uint8Array | null = null;
  private unpackedSize = 0;
  private entries = 0;

  constructor(
    private readonly packedSize: number,
    private readonly options: ReadTarballOptions,
  ) {
    this.limits = {
      maxUnpackedBytes: options.limits?.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED_BYTES,
      maxFiles: options.limits?.maxFiles ?? Number.POSITIVE_INFINITY,
      maxCompressionRatio: options.limits?.maxCompressionRatio ?? Number.POSITIVE_INFINITY,
    };
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - at);
        this.padding -= n;
        at += n;
      } else if (this.entry) {
        const n = Math.min(this.entry.remaining, chunk.length - at);
        this.entry.take(chunk.subarray(at, at + n));
        this.entry.remaining -= n;
        at += n;
        if (this.entry.remaining === 0) this.closeEntry();
      } else {
        const n = Math.min(512 - this.headerFill, chunk.length - at);
        this.header.set(chunk.subarray(at, at + n), this.headerFill);
        this.headerFill += n;
        at += n;
        if (this.headerFill === 512) {
          this.headerFill = 0;
          this.onHeader(this.header);
        }
      }
    }
  }

  finish(): TarballContents {
    if (!this.ended && (this.entry || this.headerFill > 0 || this.padding > 0)) throw new TarballError('tarball is malformed: it ends inside an entry');
    if (this.entries === 0) throw new TarballError('tarball is malformed: it holds no entries');
    this.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { files: this.files, links: this.links, packageJson: this.packageJson, unpackedSize: this.unpackedSize, entries: this.entries };
  }

  private closeEntry(): void {
    const { done, padding } = this.entry!;
    this.entry = null;
    this.padding = padding;
    done();
  }

  /** Opens the body of the entry whose header was just read; a zero-length body is done at once. */
  private open(size: number, take: (chunk: Uint8Array) => void, done: () => void): void {
    if (size === 0) return done();
    this.entry = { remaining: size, padding: (512 - (size % 512)) % 512, take, done };
  }

  private onHeader(block: Uint8Array): void {
    if (block.every((b) => b === 0)) {
      this.ended = true;
      return;
    }
    if (!checksumOk(block)) throw new TarballError(`tarball is malformed: bad header checksum after ${this.entries} entries`);
    const flag = String.fromCharCode(block[156]!);
    const size = this.meta.pax.size !== undefined ? Number(this.meta.pax.size) : octal(block, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw new TarballError('tarball is malformed: bad entry size');

    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (++this.meta.headers > MAX_META_HEADERS) throw new TarballError('tarball is malformed: too many metadata headers in a row');
      if (size > MAX_META_BYTES) throw new TarballError(`tarball is malformed: a ${flag} header of ${size} bytes`);
      const body = new Uint8Array(size);
      let fill = 0;
      this.open(
        size,
        (chunk) => {
          body.set(chunk, fill);
          fill += chunk.length;
        },
        () => {
          if (flag === 'x') this.meta.pax = { ...this.meta.pax, ...paxRecords(body) };
          else if (flag === 'L') this.meta.longName = cString(body);
          else if (flag === 'K') this.meta.longLink = cString(body);
        },
      );
      return;
    }

    const prefix = text(block, 257, 6) === 'ustar' ? text(block, 345, 155) : '';
    const raw = this.meta.pax.path ?? this.meta.longName ?? (prefix ? `${prefix}/${text(block, 0, 100)}` : text(block, 0, 100));
    const target = this.meta.pax.linkpath ?? this.meta.longLink ?? text(block, 157, 100);
    this.meta = { pax: {}, headers: 0 };
    const type = TYPES[flag] ?? `entry of type ${JSON.stringify(flag)}`;
    this.onEntry(raw, type, target, size);
  }

  private onEntry(raw: string, type: string, target: string, size: number): void {
    const install = this.options.mode === 'install';
    const path = raw.replace(/\/+$/, '');
    if (++this.entries > this.limits.maxFiles) throw new TarballError(`tarball has more than ${this.limits.maxFiles} entries`);
    if (type === 'Directory' && path === 'package') return this.open(size, ignore, ignore);
    if (!isInsidePackage(raw)) throw new TarballError(`tarball entry ${JSON.stringify(raw)} is outside package/ (unsafe path)`);
    if (install ? type !== 'File' && type !== 'Directory' : !['File', 'Directory', 'SymbolicLink', 'Link'].includes(type)) {
      throw new TarballError(
        install ? `archive entry ${JSON.stringify(raw)} is not a regular file (${type})` : `tarball entry ${raw} is a ${type}, which packages may not contain`,
      );
    }
    // Per-file hashes are keyed by package-relative path in JSON objects, where this one key is the
    // prototype: parsers and schema validators drop it, so the file could not be listed and checked.
    if (path === 'package/__proto__') throw new TarballError('tarball entry package/__proto__: a file with that name at the package root cannot be listed in signed per-file hashes; rename it');
    if (type === 'SymbolicLink' && (target.startsWith('/') || !isInsidePackage(joinPosix(dirnamePosix(raw), target)))) {
      throw new TarballError(`symbolic link ${raw} points outside the package (${target})`);
    }
    if (type === 'Link' && !isInsidePackage(target)) throw new TarballError(`hard link ${raw} points outside the package (${target})`);
    if (type === 'Directory') return this.open(size, ignore, ignore);

    const rel = normalisePosix(path).slice('package/'.length);
    if (this.seen.has(rel)) throw new TarballError(`tarball holds ${JSON.stringify(rel)} twice`);
    this.seen.add(rel);
    this.unpackedSize += size;
    const { maxUnpackedBytes, maxCompressionRatio } = this.limits;
    if (this.unpackedSize > maxUnpackedBytes) throw new TarballError(`tarball unpacks to more than ${maxUnpackedBytes} bytes`);
    if (this.unpackedSize > RATIO_FLOOR && this.unpackedSize > maxCompressionRatio * this.packedSize) {
      throw new TarballError(`tarball unpacks to more than ${maxCompressionRatio} times its ${this.packedSize} bytes: refused as a decompression bomb`);
    }
    if (type !== 'File') {
      this.links.push({ path: rel, type: type as TarballLink['type'], target });
      return this.open(size, ignore, ignore);
    }

    const isManifest = rel === 'package.json';
    if (isManifest && size > MAX_PACKAGE_JSON) throw new TarballError('package.json is larger than 1 MiB');
    const hasher = this.options.hash?.();
    const chunks: Uint8Array[] | null = isManifest || this.options.keep?.(rel) ? [] : null;
    const file: TarballFile = { path: rel, size };
    this.files.push(file);
    this.open(
      size,
      (chunk) => {
        hasher?.update(chunk);
        // The chunk is a view into the inflater's buffer: copied when kept.
        chunks?.push(chunk.slice());
      },
      () => {
        if (hasher) file.hash = hasher.digest();
        if (chunks) {
          const bytes = concatBytes(chunks);
          if (isManifest) this.packageJson = bytes;
          if (this.options.keep?.(rel)) file.bytes = bytes;
        }
      },
    );
  }
}

const ignore = () => undefined;

function text(block: Uint8Array, start: number, length: number): string {
  return cString(block.subarray(start, start + length));
}

function cString(field: Uint8Array): string {
  const nul = field.indexOf(0);
  return decoder.decode(nul === -1 ? field : field.subarray(0, nul));
}

function octal(block: Uint8Array, start: number, length: number): number {
  // GNU base-256: the high bit of the first byte set (sizes over 8 GiB); far beyond any plugin.
  if (block[start]! & 0x80) throw new TarballError('tarball is malformed: an entry too large for a package');
  const s = text(block, start, length).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarballError(`tarball is malformed: bad number ${JSON.stringify(s)} in a header`);
  return parseInt(s, 8);
}

function checksumOk(block: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === octal(block, 148, 8);
}

/** pax records: "<len> <key>=<value>\n", len counting the whole record. */
function paxRecords(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const len = Number(decoder.decode(data.subarray(at, space)));
    if (!Number.isInteger(len) || len <= 0 || at + len > data.length) throw new TarballError('tarball is malformed: bad pax header');
    const record = decoder.decode(data.subarray(space + 1, at + len - 1));
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}

/** A relative path whose normal form stays under `package/`. */
function isInsidePackage(path: string): boolean {
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path) || path.includes('\\') || path.includes('\0')) return false;
  if (path.split('/').includes('..')) return false;
  const normal = normalisePosix(path);
  return normal.startsWith('package/') && normal.length > 'package/'.length;
}

/** posix.normalize for relative paths without `..` (refused before): drops `.` and empty segments. */
function normalisePosix(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

function dirnamePosix(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash === -1 ? '.' : trimmed.slice(0, slash);
}

/** Joins and resolves `..` the way posix.join does, keeping a leading `..` that would leave the root. */
function joinPosix(dir: string, rel: string): string {
  const out: string[] = [];
  for (const seg of `${dir}/${rel}`.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && out.length > 0 && out.at(-1) !== '..') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}
