import { z } from 'zod';
import { PluginIdSchema } from './schemas.js';

const Count = z.number().int().min(0).max(1_000_000);

/**
 * `POST /api/v1/analytics`: counters a host app aggregated itself, sent only when its user opted in.
 * `optIn: true` is the client's statement of consent; nothing identifying (user, device, address) is part of it.
 */
export const AnalyticsReportSchema = z.strictObject({
  optIn: z.literal(true, 'analytics are opt-in: send optIn: true only when the user agreed to share usage counters'),
  day: z.iso.date().optional(),
  counters: z
    .array(
      z.strictObject({
        plugin: PluginIdSchema,
        version: z.string().max(64).optional(),
        installs: Count.default(0),
        activations: Count.default(0),
        errors: Count.default(0),
      }),
    )
    .min(1)
    .max(100),
});
export type AnalyticsReport = z.infer<typeof AnalyticsReportSchema>;

export const AnalyticsAcceptedSchema = z.object({ accepted: z.number().int() });

export const PluginStatsSchema = z.object({
  id: PluginIdSchema,
  days: z.array(z.object({ day: z.string(), installs: z.number().int(), activations: z.number().int(), errors: z.number().int() })),
});

/** `GET /api/v1/users/me/data`: everything Wharf holds about the caller. */
export const UserDataExportSchema = z.object({
  user: z.object({ id: z.string(), name: z.string(), email: z.string().nullable(), role: z.string(), createdAt: z.string() }),
  /** Metadata only: the secret (and its prefix) is never part of it. */
  tokens: z.array(
    z.object({ key: z.string(), name: z.string().nullable(), readonly: z.boolean(), role: z.string().nullable(), cidrWhitelist: z.array(z.string()), createdAt: z.string(), expiresAt: z.string().nullable() }),
  ),
  /** Packages the caller owns. */
  packages: z.array(z.string()),
  /** npm scopes the caller claimed by publishing first in them. */
  scopes: z.array(z.string()),
  /** Versions the caller published (their `_npmUser`). */
  versions: z.array(z.object({ package: z.string(), version: z.string(), publishedAt: z.string() })),
  /** Publisher keys the caller registered (`wharf keys register`). */
  signingKeys: z.array(z.object({ keyid: z.string(), name: z.string().nullable(), publicKey: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() })),
  /** Signed provenance statements of the caller's publishes, with what they say about the caller. */
  provenance: z.array(
    z.object({ package: z.string(), version: z.string(), recordedAt: z.string(), publisher: z.string().nullable(), tokenId: z.string().nullable(), developerKeyid: z.string().nullable() }),
  ),
  listings: z.array(z.string()),
  reviews: z.array(z.object({ id: z.string(), pluginId: z.string(), rating: z.number().int(), title: z.string().nullable(), body: z.string(), createdAt: z.string(), updatedAt: z.string() })),
  reports: z.array(z.object({ id: z.string(), pluginId: z.string(), reviewId: z.string().nullable(), reason: z.string(), details: z.string(), createdAt: z.string() })),
  /** Audit log entries made by the caller or about their account since it was created (the log is append-only and kept). */
  audit: z.array(z.object({ seq: z.number().int(), at: z.string(), action: z.string(), target: z.string() })),
});
export type UserDataExport = z.infer<typeof UserDataExportSchema>;

export const AccountErasureSchema = z.object({
  /** `anonymised`: the account row stays (ids of published versions and owned packages keep pointing at it) with no personal data and no way to log in. */
  outcome: z.literal('anonymised'),
  reviewsAnonymised: z.number().int(),
  tokensRevoked: z.number().int(),
  /** Published versions whose registry-stamped publisher (`_npmUser`) now carries the anonymous name and no email. */
  versionsAnonymised: z.number().int(),
});
