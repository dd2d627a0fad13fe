import * as z from 'zod/mini';
import { ChannelSchema, RolloutStateSchema } from '../release/schemas.js';
import { ClientFeaturesSchema } from '../flags/schemas.js';

// A regular expression rather than a Date.parse refinement: the catalog holds tens of thousands of these.
const IsoTime = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, 'must be an ISO 8601 UTC time'));
const Version = z.string().check(z.minLength(1), z.maxLength(256));

/** One published (not unpublished) version as clients need it to choose and verify. */
export const CatalogVersionSchema = z.object({
  version: Version,
  /** sha512 SRI of the tarball; the installer still verifies it against the TUF targets metadata. */
  // Length and prefix, not a regular expression: tens of thousands of these are checked per catalog,
  // and the installer compares the value itself against the signed TUF targets anyway.
  integrity: z.string().check(z.length(95), z.startsWith('sha512-')),
  size: z.int().check(z.gte(0)),
  publishedAt: IsoTime,
  /** Lowest host version it runs on (`cartae.minVersion`, else the floor of `engines.cartae`). */
  minHostVersion: z.nullable(Version),
  /** The `engines.cartae` range, which may also cap the host version. */
  engines: z.nullable(z.string().check(z.maxLength(256))),
  /** Whether a publisher signature is on record (checked by the registry at publish). */
  signed: z.boolean(),
  deprecated: z.nullable(z.string()),
  revoked: z.nullable(z.object({ reason: z.string(), at: IsoTime })),
});
export type CatalogVersion = z.infer<typeof CatalogVersionSchema>;

export const CatalogRolloutSchema = z.object({
  channel: ChannelSchema,
  version: Version,
  previousVersion: z.nullable(Version),
  percentage: z.number().check(z.gte(0), z.lte(100)),
  state: RolloutStateSchema,
});
export type CatalogRollout = z.infer<typeof CatalogRolloutSchema>;

/** Marketplace data, when the package has a listing. */
export const CatalogListingSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  category: z.string(),
  tags: z.array(z.string()),
  icon: z.nullable(z.string()),
  homepage: z.nullable(z.string()),
  state: z.enum(['pending', 'published', 'suspended']),
});
export type CatalogListing = z.infer<typeof CatalogListingSchema>;

export const CatalogPluginSchema = z.object({
  /** The registry package name: what is installed, and the plugin's id in the SDK. */
  name: z.string().check(z.minLength(1), z.maxLength(214)),
  description: z.nullable(z.string()),
  listing: z.nullable(CatalogListingSchema),
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
  version: z.int().check(z.gte(1)),
  generatedAt: IsoTime,
  expires: IsoTime,
  plugins: z.array(CatalogPluginSchema),
  flags: ClientFeaturesSchema,
});
export type Catalog = z.infer<typeof CatalogSchema>;

/**
 * The catalog with its plugin entries parsed but not yet validated, each an object with a string
 * `name`: clients validate an entry with CatalogPluginSchema when they first read it (see
 * `verifyCatalogHead`), as the TUF client does with targets.
 */
const PluginEntry = z.custom<{ name: string }>(
  // A predicate rather than an object schema: it checks the name without copying 10,000 entries.
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { name?: unknown }).name === 'string' && (v as { name: string }).name.length > 0 && (v as { name: string }).name.length <= 214,
  'a plugin entry must be an object with a name',
);
export const CatalogHeadSchema = z.object({ ...CatalogSchema.shape, plugins: z.array(PluginEntry) });
export type CatalogHead = Omit<Catalog, 'plugins'> & { plugins: { name: string }[] };

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
export const CatalogSignaturesSchema = z.array(z.object({ keyid: z.string().check(z.maxLength(128)), sig: z.string().check(z.maxLength(256)) })).check(z.maxLength(64));
