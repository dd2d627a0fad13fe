import { z } from 'zod';
import { ChannelSchema, RolloutStateSchema } from '../release/schemas.js';
import { ClientFeaturesSchema } from '../flags/schemas.js';

const IsoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 time');
const Version = z.string().min(1).max(256);

/** One published (not unpublished) version as clients need it to choose and verify. */
export const CatalogVersionSchema = z.object({
  version: Version,
  /** sha512 SRI of the tarball; the installer still verifies it against the TUF targets metadata. */
  integrity: z.string().regex(/^sha512-[A-Za-z0-9+/]+={0,2}$/),
  size: z.number().int().min(0),
  publishedAt: IsoTime,
  /** Lowest host version it runs on (`cartae.minVersion`, else the floor of `engines.cartae`). */
  minHostVersion: Version.nullable(),
  /** The `engines.cartae` range, which may also cap the host version. */
  engines: z.string().max(256).nullable(),
  /** Whether a publisher signature is on record (checked by the registry at publish). */
  signed: z.boolean(),
  deprecated: z.string().nullable(),
  revoked: z.object({ reason: z.string(), at: IsoTime }).nullable(),
});
export type CatalogVersion = z.infer<typeof CatalogVersionSchema>;

export const CatalogRolloutSchema = z.object({
  channel: ChannelSchema,
  version: Version,
  previousVersion: Version.nullable(),
  percentage: z.number().min(0).max(100),
  state: RolloutStateSchema,
});
export type CatalogRollout = z.infer<typeof CatalogRolloutSchema>;

/** Marketplace data, when the package has a listing. */
export const CatalogListingSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  category: z.string(),
  tags: z.array(z.string()),
  icon: z.string().nullable(),
  homepage: z.string().nullable(),
  state: z.enum(['pending', 'published', 'suspended']),
});
export type CatalogListing = z.infer<typeof CatalogListingSchema>;

export const CatalogPluginSchema = z.object({
  /** The registry package name: what is installed, and the plugin's id in the SDK. */
  name: z.string().min(1).max(214),
  description: z.string().nullable(),
  listing: CatalogListingSchema.nullable(),
  /** latest, and the channel tags alpha, beta, stable where set. */
  distTags: z.record(z.string(), Version),
  rollouts: z.array(CatalogRolloutSchema),
  versions: z.array(CatalogVersionSchema),
});
export type CatalogPlugin = z.infer<typeof CatalogPluginSchema>;

export const CATALOG_TYPE = 'wharf.catalog';

/**
 * The catalog every host app reads: which plugins exist, their versions, channels, rollouts,
 * revocations and the feature flag set. Signed and expiring; `version` only ever grows.
 */
export const CatalogSchema = z.object({
  _type: z.literal(CATALOG_TYPE),
  specVersion: z.literal(1),
  version: z.number().int().min(1),
  generatedAt: IsoTime,
  expires: IsoTime,
  plugins: z.array(CatalogPluginSchema),
  flags: ClientFeaturesSchema,
});
export type Catalog = z.infer<typeof CatalogSchema>;

export const CATALOG_PAYLOAD_TYPE = 'application/vnd.wharf.catalog+json';

/**
 * What `/catalog.json` serves, signed by the TUF targets role's keys. DSSE's signing rule (PAE over
 * the exact payload bytes, so no canonical JSON is computed over megabytes), but the payload is the
 * catalog's JSON text as a string instead of base64: it gzips like JSON and parses natively.
 */
export const CatalogEnvelopeSchema = z.object({
  payloadType: z.literal(CATALOG_PAYLOAD_TYPE),
  payload: z.string(),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })).max(64),
});
export type CatalogEnvelope = z.infer<typeof CatalogEnvelopeSchema>;
