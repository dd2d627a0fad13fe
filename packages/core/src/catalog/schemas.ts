import { z } from 'zod';
import { ChannelSchema, RolloutStateSchema } from '../release/schemas.js';
import { ClientFeaturesSchema } from '../flags/schemas.js';

// A regular expression rather than a Date.parse refinement: the catalog holds tens of thousands of these.
const IsoTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, 'must be an ISO 8601 UTC time');
const Version = z.string().min(1).max(256);

/** One published (not unpublished) version as clients need it to choose and verify. */
export const CatalogVersionSchema = z.object({
  version: Version,
  /** sha512 SRI of the tarball; the installer still verifies it against the TUF targets metadata. */
  // Length and prefix, not a regular expression: tens of thousands of these are checked per catalog,
  // and the installer compares the value itself against the signed TUF targets anyway.
  integrity: z.string().length(95).startsWith('sha512-'),
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
 * What `/catalog.json` serves, signed by the TUF targets role's keys:
 *
 *   {"payloadType":"application/vnd.wharf.catalog+json","signatures":[{"keyid":…,"sig":…}],"payload":<catalog>}
 *
 * DSSE's signing rule (PAE over the exact payload bytes), with the payload embedded as raw JSON in
 * that fixed layout instead of base64: the file is plain JSON for any tool, gzips like JSON, and a
 * client verifies the payload's byte range and parses it once, with no canonical JSON over megabytes.
 */
export const CatalogSignaturesSchema = z.array(z.object({ keyid: z.string().max(128), sig: z.string().max(256) })).max(64);
