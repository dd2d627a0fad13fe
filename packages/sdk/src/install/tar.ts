/**
 * An in-memory reader for npm package tarballs on web APIs only (DecompressionStream + ustar):
 * enough for what `npm pack` and node-tar write (ustar prefix, pax and GNU long names), and strict
 * about everything else, since what it returns is about to be hashed and run.
 */

import { readStreamLimited } from '@wharf/core';

/** Bigger than any plugin a browser should run; stops a gzip bomb before it fills memory. */
export const MAX_UNPACKED_BYTES = 256 * 1024 * 1024;

export function gunzip(bytes: Uint8Array, limit = MAX_UNPACKED_BYTES): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return readStreamLimited(stream, limit, () => new Error(`archive unpacks to more than ${limit} bytes`));
}

const decoder = new TextDecoder();

function text(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return decoder.decode(nul === -1 ? field : field.subarray(0, nul));
}

function octal(block: Uint8Array, start: number, length: number): number {
  // GNU base-256: the high bit of the first byte set (sizes over 8 GiB); far beyond any plugin.
  if (block[start]! & 0x80) throw new Error('tar entry too large');
  const s = text(block, start, length).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new Error(`bad tar number ${JSON.stringify(s)}`);
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
    if (!Number.isInteger(len) || len <= 0 || at + len > data.length) throw new Error('bad pax header');
    const record = decoder.decode(data.subarray(space + 1, at + len - 1));
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}

/** A package-relative path: npm's `package/` prefix removed, as the signed per-file hashes key it. */
function packagePath(raw: string): string {
  const path = raw.replace(/^package\//, '');
  const parts = path.split('/');
  if (path === '' || path.startsWith('/') || parts.some((p) => p === '..' || p === '')) throw new Error(`unsafe path in archive: ${JSON.stringify(raw)}`);
  return path;
}

/**
 * The regular files of a .tgz, by package-relative path. Directories are skipped; links, devices
 * and duplicate paths are refused (npm installs neither, and a duplicate could hide a second body
 * behind a signed hash of the first).
 */
export async function unpackTarball(tgz: Uint8Array): Promise<Map<string, Uint8Array>> {
  const tar = await gunzip(tgz);
  const files = new Map<string, Uint8Array>();
  let at = 0;
  let longName: string | null = null;
  let pax: Record<string, string> = {};
  while (at + 512 <= tar.length) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) return files;
    if (!checksumOk(header)) throw new Error(`bad tar header checksum at byte ${at}`);
    const type = String.fromCharCode(header[156]!);
    const size = pax.size !== undefined ? Number(pax.size) : octal(header, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error('bad tar entry size');
    const start = at + 512;
    const end = start + size;
    if (end > tar.length) throw new Error('truncated tar entry');
    const data = tar.subarray(start, end);
    at = start + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      pax = paxRecords(data);
      continue;
    }
    if (type === 'L') {
      longName = text(data, 0, data.length);
      continue;
    }
    if (type === 'g') continue;
    const prefix = text(header, 257, 6) === 'ustar' ? text(header, 345, 155) : '';
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
    pax = {};
    longName = null;
    if (type === '5') continue;
    if (type !== '0' && type !== '\0' && type !== '7') throw new Error(`archive entry ${JSON.stringify(name)} is not a regular file (type ${JSON.stringify(type)})`);
    const path = packagePath(name);
    if (files.has(path)) throw new Error(`archive holds ${JSON.stringify(path)} twice`);
    files.set(path, data);
  }
  if (at === tar.length) return files;
  throw new Error('truncated tar archive');
}
