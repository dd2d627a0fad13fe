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
  tokens: z.array(z.object({ key: z.string(), name: z.string().nullable(), readonly: z.boolean(), createdAt: z.string(), expiresAt: z.string().nullable() })),
  packages: z.array(z.string()),
  listings: z.array(z.string()),
  reviews: z.array(z.object({ id: z.string(), pluginId: z.string(), rating: z.number().int(), title: z.string().nullable(), body: z.string(), createdAt: z.string(), updatedAt: z.string() })),
  reports: z.array(z.object({ id: z.string(), pluginId: z.string(), reviewId: z.string().nullable(), reason: z.string(), details: z.string(), createdAt: z.string() })),
});
export type UserDataExport = z.infer<typeof UserDataExportSchema>;

export const AccountErasureSchema = z.object({
  /** `anonymised`: the account row stays (ids of published versions and owned packages keep pointing at it) with no personal data and no way to log in. */
  outcome: z.literal('anonymised'),
  reviewsAnonymised: z.number().int(),
  tokensRevoked: z.number().int(),
});
