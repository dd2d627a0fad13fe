import { z } from 'zod';

/**
 * Wire formats of the marketplace API (`/api/v1`). Request schemas validate what clients send;
 * response schemas document what the server returns (the OpenAPI document is generated from both).
 */

/** Reverse-DNS plugin identifier, as in a Cartae manifest: `com.cartae.pdf-export`. */
export const PluginIdSchema = z
  .string()
  .min(3)
  .max(128)
  .regex(/^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/, 'plugin ids are reverse-DNS names such as com.cartae.pdf-export (lowercase letters, digits, "-", dot-separated)');

/** The fixed category list: a closed set, so that facets stay meaningful and typos are refused. */
export const CATEGORIES = [
  'accessibility',
  'ai',
  'collaboration',
  'data',
  'developer-tools',
  'diagrams',
  'editing',
  'export',
  'formatting',
  'import',
  'integration',
  'languages',
  'media',
  'navigation',
  'productivity',
  'publishing',
  'security',
  'themes',
  'utilities',
  'visualization',
] as const;
export const CategorySchema = z.enum(CATEGORIES);
export type Category = z.infer<typeof CategorySchema>;

export const TagSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'tags are lowercase letters, digits and "-", at most 32 characters');

const HttpUrl = z.url({ protocol: /^https?$/ }).max(2048);

/** `POST /api/v1/plugins`: a listing. `package` links it to a registry package the caller owns. */
export const PluginListingInputSchema = z.strictObject({
  id: PluginIdSchema,
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().min(1).max(2000),
  category: CategorySchema,
  package: z.string().min(1).max(214).optional(),
  tags: z.array(TagSchema).max(20).default([]),
  homepage: HttpUrl.optional(),
  icon: HttpUrl.optional(),
  screenshots: z.array(HttpUrl).max(10).default([]),
  publisher: z.string().trim().min(1).max(100).optional(),
});
export type PluginListingInput = z.infer<typeof PluginListingInputSchema>;

/** pending: waiting for an admin; published: visible and searchable; suspended: hidden by moderation. */
export const ListingStateSchema = z.enum(['pending', 'published', 'suspended']);
export type ListingState = z.infer<typeof ListingStateSchema>;

export const PluginListingSchema = z.object({
  id: PluginIdSchema,
  name: z.string(),
  description: z.string(),
  category: CategorySchema,
  package: z.string().nullable(),
  tags: z.array(z.string()),
  homepage: z.string().nullable(),
  icon: z.string().nullable(),
  screenshots: z.array(z.string()),
  publisher: z.string().nullable(),
  state: ListingStateSchema,
  installs: z.number().int(),
  rating: z.object({ average: z.number().nullable(), count: z.number().int() }),
  latestVersion: z.string().nullable(),
  minHostVersion: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type PluginListing = z.infer<typeof PluginListingSchema>;

export const SignatureStatusSchema = z.enum(['unsigned', 'signed', 'invalid']);

export const PluginVersionSchema = z.object({
  version: z.string(),
  publishedAt: z.string(),
  deprecated: z.string().nullable(),
  tags: z.array(z.string()),
  compatibility: z.object({
    /** `cartae.minVersion` of the manifest, else the lowest version `engines.cartae` allows; null when unconstrained. */
    minHostVersion: z.string().nullable(),
    /** `engines.cartae` as published, when present. */
    engines: z.string().nullable(),
  }),
  /** Signature verification is the trust capability's job; until it records one, versions are `unsigned`. */
  signature: z.object({ status: SignatureStatusSchema }),
  sbom: z.object({ url: z.string() }),
});
export type PluginVersion = z.infer<typeof PluginVersionSchema>;

export const PluginVersionsSchema = z.object({ id: PluginIdSchema, package: z.string().nullable(), versions: z.array(PluginVersionSchema) });

export const InstallCountSchema = z.object({ id: PluginIdSchema, installs: z.number().int() });

export const ReviewInputSchema = z.strictObject({
  rating: z.number().int().min(1).max(5),
  title: z.string().trim().max(200).optional(),
  body: z.string().trim().max(5000).default(''),
});
export type ReviewInput = z.infer<typeof ReviewInputSchema>;

export const ReviewSchema = z.object({
  id: z.string(),
  pluginId: PluginIdSchema,
  /** The author's user name; null once the author erased their account. */
  author: z.string().nullable(),
  rating: z.number().int(),
  title: z.string().nullable(),
  body: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Review = z.infer<typeof ReviewSchema>;

export const PageQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(1000).default(1),
  size: z.coerce.number().int().min(1).max(100).default(20),
});

export const ReviewListSchema = z.object({ reviews: z.array(ReviewSchema), total: z.number().int() });

export const ReportInputSchema = z.strictObject({
  /** Set to report one review of the plugin rather than the plugin itself. */
  reviewId: z.string().min(1).max(64).optional(),
  reason: z.enum(['malware', 'spam', 'abuse', 'copyright', 'broken', 'other']),
  details: z.string().trim().max(2000).default(''),
});
export type ReportInput = z.infer<typeof ReportInputSchema>;

export const ReportSchema = z.object({
  id: z.string(),
  target: z.enum(['plugin', 'review']),
  pluginId: PluginIdSchema,
  reviewId: z.string().nullable(),
  reason: z.string(),
  details: z.string(),
  state: z.enum(['open', 'resolved']),
  resolution: z.string().nullable(),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
});
export type Report = z.infer<typeof ReportSchema>;

export const ReportListQuerySchema = z.object({ state: z.enum(['open', 'resolved']).default('open') }).extend(PageQuerySchema.shape);

/** What an admin does with a report: keep the content (dismiss), hide the reviewed review, or suspend the plugin. */
export const ReportResolutionSchema = z.strictObject({ action: z.enum(['dismiss', 'hide-review', 'suspend-plugin']), note: z.string().max(1000).optional() });
export type ReportResolution = z.infer<typeof ReportResolutionSchema>;

/** An admin moving a listing between states: approve (published), suspend, reinstate (published). */
export const ListingStateChangeSchema = z.strictObject({ state: z.enum(['published', 'suspended']), note: z.string().max(1000).optional() });

export const ListingQueueQuerySchema = z.object({ state: ListingStateSchema.default('pending') }).extend(PageQuerySchema.shape);
export const ListingListSchema = z.object({ plugins: z.array(PluginListingSchema), total: z.number().int() });
export const ReportListSchema = z.object({ reports: z.array(ReportSchema), total: z.number().int() });
