import { gzipSync } from 'node:zlib';

export interface RawEntry {
  path: string;
  /** ustar type flag: '0' file, '1' hard link, '2' symlink, '3' char device, '5' directory, '6' FIFO. */
  type?: '0' | '1' | '2' | '3' | '5' | '6';
  body?: string | Buffer;
  linkpath?: string;
  /** Declared size, when a test wants it to disagree with the body. */
  size?: number;
}

/**
 * Writes ustar archives byte by byte. Packing tools (node-tar included) sanitise paths, so the hostile
 * archives the inspector must refuse (`..`, absolute paths, escaping links, devices) are made by hand.
 */
export function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const header = Buffer.alloc(512);
    header.write(e.path, 0, 100, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${(e.size ?? body.length).toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write(e.type ?? '0', 156);
    if (e.linkpath) header.write(e.linkpath, 157, 100, 'utf8');
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export const rawTgz = (entries: RawEntry[]) => gzipSync(rawTar(entries));

export const packageJsonEntry = (name: string, version: string, extra: Record<string, unknown> = {}): RawEntry => ({
  path: 'package/package.json',
  body: JSON.stringify({ name, version, ...extra }),
});
