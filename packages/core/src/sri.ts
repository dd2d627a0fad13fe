/** Subresource Integrity strings (`sha512-<base64>`), the hash format of npm's `dist.integrity`. */

export type SriAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface Sri {
  algorithm: SriAlgorithm;
  /** Base64 digest. */
  digest: string;
}

const SRI = /^(sha1|sha256|sha384|sha512)-([A-Za-z0-9+/]+=*)$/;

/** Parses the strongest hash of a (possibly multi-hash) SRI string. */
export function parseSri(value: string): Sri | null {
  const order: SriAlgorithm[] = ['sha1', 'sha256', 'sha384', 'sha512'];
  let best: Sri | null = null;
  for (const part of value.trim().split(/\s+/)) {
    const m = SRI.exec(part);
    if (!m) continue;
    const algorithm = m[1] as SriAlgorithm;
    if (!best || order.indexOf(algorithm) > order.indexOf(best.algorithm)) best = { algorithm, digest: m[2]! };
  }
  return best;
}

export function formatSri(algorithm: SriAlgorithm, digestBase64: string): string {
  return `${algorithm}-${digestBase64}`;
}
