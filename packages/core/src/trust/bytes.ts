
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export const utf8 = (text: string): Uint8Array => encoder.encode(text);
export const fromUtf8 = (bytes: Uint8Array): string => decoder.decode(bytes);

/**
 * RFC 8785 canonical JSON (keys sorted by UTF-16 code units, ECMAScript number and string
 * serialisation): the same output as the `canonicalize` package (a property test checks it).
 * Fast path: a key-sorted copy handed to the native JSON.stringify, which on a 10,000-plugin
 * targets file is several times faster than building the string in JavaScript. Engines list
 * integer-like keys ("7", "10") first whatever their insertion order, so objects holding such
 * keys take the slow path.
 */
export function canonicalJson(value: unknown): string {
  const sorted = sortedCopy(value, false);
  if (sorted !== INTEGER_KEYS) return JSON.stringify(sorted);
  const out: string[] = [];
  write(value, out, false);
  return out.join('');
}

/**
 * TUF's canonical JSON, the OLPC form that python-tuf, go-tuf and @tufjs sign (and the server signs
 * with): as above, but numbers must be integers and strings escape only `"` and `\`, so a control
 * character stays raw where RFC 8785 writes `\n` or `\u0001`. Same fast path: JSON.stringify's output
 * is the same text unless it holds such an escape.
 */
export function tufCanonicalJson(value: unknown): string {
  const sorted = sortedCopy(value, true);
  if (sorted !== INTEGER_KEYS) {
    const text = JSON.stringify(sorted);
    if (!OTHER_ESCAPE.test(text)) return text;
  }
  const out: string[] = [];
  write(value, out, true);
  return out.join('');
}

/** A JSON escape other than `\"` and `\\` (an odd run of backslashes before b, f, n, r, t or u). */
const OTHER_ESCAPE = /(?<!\\)(?:\\\\)*\\[bfnrtu]/;

const olpcString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

const INTEGER_KEYS = Symbol('integer-like keys');
const INTEGER_LIKE = /^(?:0|[1-9]\d{0,9})$/;

/** As JSON.stringify (and the canonicalize package) take it: a Date is its ISO string, not {}. */
const jsonValue = (value: unknown): unknown =>
  value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;

function checkPrimitive(value: unknown, integersOnly: boolean): void {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`${value} has no JSON form`);
  if (integersOnly && typeof value === 'number' && !Number.isInteger(value)) throw new TypeError(`${value} has no canonical JSON form: TUF metadata holds integers only`);
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') throw new TypeError(`${typeof value} has no JSON form`);
}

function sortedCopy(value: unknown, integersOnly: boolean): unknown {
  value = jsonValue(value);
  if (value === null || typeof value !== 'object') {
    checkPrimitive(value, integersOnly);
    return value;
  }
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i] === undefined ? null : value[i], integersOnly);
      if (item === INTEGER_KEYS) return INTEGER_KEYS;
      copy[i] = item;
    }
    return copy;
  }
  const record = value as Record<string, unknown>;
  // No prototype: a "__proto__" key is then an own property, not a prototype change that drops it.
  const copy: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(record).sort()) {
    if (INTEGER_LIKE.test(key)) return INTEGER_KEYS;
    if (record[key] === undefined) continue;
    const item = sortedCopy(record[key], integersOnly);
    if (item === INTEGER_KEYS) return INTEGER_KEYS;
    copy[key] = item;
  }
  return copy;
}

function write(value: unknown, out: string[], olpc: boolean): void {
  value = jsonValue(value);
  if (value === null || typeof value !== 'object') {
    checkPrimitive(value, olpc);
    out.push(olpc && typeof value === 'string' ? olpcString(value) : JSON.stringify(value));
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      const item: unknown = value[i];
      write(item === undefined ? null : item, out, olpc);
    }
    out.push(']');
    return;
  }
  const record = value as Record<string, unknown>;
  out.push('{');
  let first = true;
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined) continue;
    if (!first) out.push(',');
    first = false;
    out.push(olpc ? olpcString(key) : JSON.stringify(key), ':');
    write(item, out, olpc);
  }
  out.push('}');
}

/** The bytes every Wharf signature covers: RFC 8785 canonical JSON, UTF-8. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalJson(value));
}

/** The bytes TUF metadata signatures cover (`tufCanonicalJson`), UTF-8. */
export function tufCanonicalBytes(value: unknown): Uint8Array {
  return utf8(tufCanonicalJson(value));
}

/** Chunks read one after another, as one array (the chunk itself when there is one). */
export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) throw new TypeError('not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export type DigestAlgorithm = 'sha256' | 'sha512';
const SUBTLE_NAMES: Record<DigestAlgorithm, string> = { sha256: 'SHA-256', sha512: 'SHA-512' };

/** Native digests through WebCrypto: the same code runs in browsers and Node. */
export async function digest(algorithm: DigestAlgorithm, bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(SUBTLE_NAMES[algorithm], bytes as Uint8Array<ArrayBuffer>));
}

export async function sriOf(bytes: Uint8Array): Promise<string> {
  return `sha512-${toBase64(await digest('sha512', bytes))}`;
}

/** Constant-length comparison is not needed here (digests are public), only equality. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
