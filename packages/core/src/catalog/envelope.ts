import { utf8 } from '../trust/bytes.js';
import { TrustError } from '../trust/errors.js';
import { signBytes, type KeyPairFile } from '../trust/keys.js';
import { isExpired, verifyRoleSignatures, type RootSigned } from '../trust/metadata.js';
import { dssePae } from '../trust/dsse.js';
import { CATALOG_PAYLOAD_TYPE, CatalogEnvelopeSchema, CatalogSchema, type Catalog } from './schemas.js';

/** Signs a catalog with every given targets key; returns the text to serve. */
export function signCatalog(catalog: Catalog, keys: KeyPairFile[]): string {
  const payload = JSON.stringify(catalog);
  const pae = dssePae(CATALOG_PAYLOAD_TYPE, utf8(payload));
  return JSON.stringify({ payloadType: CATALOG_PAYLOAD_TYPE, payload, signatures: keys.map((k) => ({ keyid: k.keyid, sig: signBytes(k, pae) })) });
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

/**
 * Verifies a served catalog: envelope shape, a threshold of distinct targets keys over the exact
 * payload bytes, the catalog schema, expiry (freeze) and version (rollback). Throws TrustError.
 */
export async function verifyCatalog(text: string, check: CatalogCheck): Promise<Catalog> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TrustError('malformed', 'catalog is not JSON');
  }
  const env = CatalogEnvelopeSchema.safeParse(json);
  if (!env.success) throw new TrustError('malformed', `catalog envelope: ${env.error.issues[0]?.path.join('.')} ${env.error.issues[0]?.message}`);
  await verifyRoleSignatures(check.root, 'targets', env.data.signatures, dssePae(CATALOG_PAYLOAD_TYPE, utf8(env.data.payload)), 'catalog');
  let payload: unknown;
  try {
    payload = JSON.parse(env.data.payload);
  } catch {
    throw new TrustError('malformed', 'catalog payload is not JSON');
  }
  const parsed = CatalogSchema.safeParse(payload);
  if (!parsed.success) throw new TrustError('malformed', `catalog: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  const catalog = parsed.data;
  if (check.minVersion !== undefined && catalog.version < check.minVersion) {
    throw new TrustError('rollback', `catalog version ${catalog.version} is older than the ${check.minVersion} already seen`);
  }
  if (!check.allowExpired && isExpired(catalog, check.now)) throw new TrustError('expired', `catalog v${catalog.version} expired at ${catalog.expires}: the metadata is stale (frozen?)`);
  return catalog;
}
