import { fromUtf8, utf8 } from '../trust/bytes.js';
import { TrustError } from '../trust/errors.js';
import { signBytes, type KeyPairFile } from '../trust/keys.js';
import { isExpired, verifyRoleSignatures, type RootSigned } from '../trust/metadata.js';
import { dssePae } from '../trust/dsse.js';
import { CATALOG_PAYLOAD_TYPE, CatalogHeadSchema, CatalogPluginSchema, CatalogSignaturesSchema, type Catalog, type CatalogHead, type CatalogPlugin } from './schemas.js';

/** Validates one plugin entry of a verified catalog head; `malformed` names the plugin and the field. */
export function parseCatalogPlugin(entry: { name: string }): CatalogPlugin {
  const parsed = CatalogPluginSchema.safeParse(entry);
  if (!parsed.success) throw new TrustError('malformed', `catalog entry ${JSON.stringify(entry.name)}: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

const HEAD = utf8(`{"payloadType":${JSON.stringify(CATALOG_PAYLOAD_TYPE)},"signatures":`);
const PAYLOAD_KEY = utf8(`],"payload":`);
const CLOSE = 0x7d; // }

/**
 * Signs a catalog with every given targets key; returns the bytes to serve (see CatalogSignaturesSchema).
 * `signer` lets a server use a native Ed25519 (same signatures, much faster on megabytes).
 */
export function signCatalog(catalog: Catalog, keys: KeyPairFile[], signer: (pair: KeyPairFile, message: Uint8Array) => string = signBytes): string {
  const payload = JSON.stringify(catalog);
  const pae = dssePae(CATALOG_PAYLOAD_TYPE, utf8(payload));
  const signatures = JSON.stringify(keys.map((k) => ({ keyid: k.keyid, sig: signer(k, pae) })));
  return `${fromUtf8(HEAD)}${signatures},"payload":${payload}}`;
}

export interface CatalogCheck {
  /** The trusted root: its targets role's keys and threshold sign catalogs. */
  root: RootSigned;
  now: Date;
  /** The highest catalog version this client has accepted; anything lower is a rollback. */
  minVersion?: number;
  /**
   * Accept an expired catalog. Only for reading back a catalog this client verified earlier while
   * the network is down: it runs what is installed, and callers must not install from it.
   */
  allowExpired?: boolean;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  outer: for (let i = haystack.indexOf(first!, from); i !== -1 && i <= haystack.length - needle.length; i = haystack.indexOf(first!, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Splits the served bytes into signatures and the exact payload bytes they sign. */
function split(bytes: Uint8Array): { signatures: unknown; payload: Uint8Array } {
  for (let i = 0; i < HEAD.length; i++) if (bytes[i] !== HEAD[i]) throw new TrustError('malformed', 'catalog does not start with the signed-catalog header');
  // Signatures hold only key ids and hex, so the first `],"payload":` ends them.
  const at = indexOf(bytes, PAYLOAD_KEY, HEAD.length);
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x20)) end--;
  if (at === -1 || bytes[end - 1] !== CLOSE) throw new TrustError('malformed', 'catalog is not a signed-catalog document');
  let signatures: unknown;
  try {
    signatures = JSON.parse(fromUtf8(bytes.subarray(HEAD.length, at + 1)));
  } catch {
    throw new TrustError('malformed', 'catalog signatures are not JSON');
  }
  return { signatures, payload: bytes.subarray(at + PAYLOAD_KEY.length, end - 1) };
}

/**
 * Verifies a served catalog: layout, a threshold of distinct targets keys over the exact payload
 * bytes, the catalog schema, expiry (freeze) and version (rollback). Throws TrustError.
 */
export async function verifyCatalog(served: Uint8Array | string, check: CatalogCheck): Promise<Catalog> {
  const head = await verifyCatalogHead(served, check);
  return { ...head, plugins: head.plugins.map(parseCatalogPlugin) };
}

/**
 * Everything `verifyCatalog` checks except the plugin entries' own fields: each is left to
 * `parseCatalogPlugin` when first read. Ten thousand entries cost a host that installs a few
 * plugins nothing, and one malformed entry spoils that plugin, not the catalog.
 */
export async function verifyCatalogHead(served: Uint8Array | string, check: CatalogCheck): Promise<CatalogHead> {
  const bytes = typeof served === 'string' ? utf8(served) : served;
  const { signatures, payload } = split(bytes);
  const sigs = CatalogSignaturesSchema.safeParse(signatures);
  if (!sigs.success) throw new TrustError('malformed', `catalog signatures: ${sigs.error.issues[0]?.path.join('.')} ${sigs.error.issues[0]?.message}`);
  await verifyRoleSignatures(check.root, 'targets', sigs.data, dssePae(CATALOG_PAYLOAD_TYPE, payload), 'catalog');
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(payload));
  } catch {
    throw new TrustError('malformed', 'catalog payload is not JSON');
  }
  const parsed = CatalogHeadSchema.safeParse(json);
  if (!parsed.success) throw new TrustError('malformed', `catalog: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  const catalog = parsed.data as CatalogHead;
  if (check.minVersion !== undefined && catalog.version < check.minVersion) {
    throw new TrustError('rollback', `catalog version ${catalog.version} is older than the ${check.minVersion} already seen`);
  }
  if (!check.allowExpired && isExpired(catalog, check.now)) throw new TrustError('expired', `catalog v${catalog.version} expired at ${catalog.expires}: the metadata is stale (frozen?)`);
  return catalog;
}
