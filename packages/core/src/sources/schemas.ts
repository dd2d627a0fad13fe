import * as z from 'zod/mini';

export const SOURCE_TYPES = ['git', 'cdn', 'hybrid'] as const;
export const SourceTypeSchema = z.enum(SOURCE_TYPES);
export type SourceType = z.infer<typeof SourceTypeSchema>;

/** The app config key the source configuration is stored and audited under. */
export const MARKETPLACE_SOURCE_KEY = 'marketplace_source';

/** Source names appear in URLs, stats and logs: short, lower-case, no punctuation beyond - and _. */
export const SourceNameSchema = z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a source name is 1-32 of a-z 0-9 _ - (starting with a letter or digit)'));

/**
 * Only http(s): a mirror is fetched by every client, so `file:`, `javascript:` or `data:` URLs must
 * never reach them. Credentials in the URL would be published to the whole fleet, so they are refused.
 */
export const SourceUrlSchema = z.string().check(
  z.maxLength(2048),
  z.refine((value) => {
    try {
      const u = new URL(value);
      // Clients and the server append paths (catalog.json, plugins/…): a query or fragment would swallow them.
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '' && !value.includes('?') && !value.includes('#');
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials, query or fragment'),
);

/**
 * `marketplace_source`: where the fleet reads the catalog, trust metadata and plugin files from.
 * `priority` is the order clients try sources in (falling back on error, timeout, 5xx or 429 when
 * `fallbackOnError`); `type` names the primary: for `git` and `cdn` it is `priority[0]`, `hybrid`
 * spreads over at least two. `canaryPercent` of installs (by install id) put `canarySource` first.
 */
export const MarketplaceSourceSchema = z
  .strictObject({
    type: SourceTypeSchema,
    priority: z.array(SourceNameSchema).check(z.minLength(1), z.maxLength(8)),
    sources: z.record(SourceNameSchema, SourceUrlSchema),
    canaryPercent: z._default(z.number().check(z.gte(0), z.lte(100), z.multipleOf(0.01)), 0),
    canarySource: z.optional(SourceNameSchema),
    healthCheckEnabled: z._default(z.boolean(), true),
    fallbackOnError: z._default(z.boolean(), true),
    /** How long clients keep this config before asking again. */
    ttlSeconds: z._default(z.int().check(z.gte(10), z.lte(86_400)), 300),
  })
  .check(
    z.superRefine((c, ctx) => {
      const names = Object.keys(c.sources);
      if (names.length > 8) ctx.addIssue({ code: 'custom', path: ['sources'], message: 'at most 8 sources' });
      c.priority.forEach((name, i) => {
        if (!(name in c.sources)) ctx.addIssue({ code: 'custom', path: ['priority', i], message: `source ${name} is not defined in sources` });
        if (c.priority.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: ['priority', i], message: `source ${name} is listed twice` });
      });
      if (c.type === 'hybrid') {
        if (c.priority.length < 2) ctx.addIssue({ code: 'custom', path: ['priority'], message: 'hybrid needs at least two sources in priority' });
      } else {
        if (!(c.type in c.sources)) ctx.addIssue({ code: 'custom', path: ['sources', c.type], message: `type ${c.type} needs a source named ${c.type}` });
        else if (c.priority[0] !== c.type) ctx.addIssue({ code: 'custom', path: ['priority', 0], message: `type ${c.type} must come first in priority` });
      }
      if (c.canarySource !== undefined && !(c.canarySource in c.sources)) ctx.addIssue({ code: 'custom', path: ['canarySource'], message: `source ${c.canarySource} is not defined in sources` });
      if (c.canaryPercent > 0 && c.canarySource === undefined) ctx.addIssue({ code: 'custom', path: ['canarySource'], message: 'canaryPercent above 0 needs a canarySource' });
    }),
  );
export type MarketplaceSource = z.infer<typeof MarketplaceSourceSchema>;
export type MarketplaceSourceInput = z.input<typeof MarketplaceSourceSchema>;

/** One stored version of the source configuration. */
export const MarketplaceSourceVersionSchema = z.object({
  version: z.int().check(z.positive()),
  config: MarketplaceSourceSchema,
  contentHash: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type MarketplaceSourceVersion = z.infer<typeof MarketplaceSourceVersionSchema>;

export const MarketplaceSourceHistorySchema = z.object({
  current: z.nullable(z.int().check(z.positive())),
  versions: z.array(MarketplaceSourceVersionSchema),
});
export type MarketplaceSourceHistory = z.infer<typeof MarketplaceSourceHistorySchema>;

/** `GET /api/v1/client-config`: public, the same for every client (canary is decided client-side). */
export const ClientConfigSchema = z.object({
  version: z.int().check(z.positive()),
  marketplaceSource: MarketplaceSourceSchema,
});
export type ClientConfig = z.infer<typeof ClientConfigSchema>;

const Count = z.int().check(z.gte(0), z.lte(1_000_000_000));

/**
 * `POST /api/v1/sources/stats`: opt-in, aggregated by the SDK over its reporting window. Counts per
 * source name only: no install id, user, address or URL.
 */
export const SourceStatsReportSchema = z.strictObject({
  sources: z
    .array(
      z.strictObject({
        source: SourceNameSchema,
        requests: Count,
        errors: Count,
        rateLimited: Count,
        fallbacks: Count,
      }),
    )
    .check(z.minLength(1), z.maxLength(8)),
});
export type SourceStatsReport = z.infer<typeof SourceStatsReportSchema>;

/** The answer to a stats report: how many of its sources' counts were taken (counts of unknown sources are dropped). */
export const SourceStatsResultSchema = z.object({ accepted: z.int().check(z.gte(0)) });
export type SourceStatsResult = z.infer<typeof SourceStatsResultSchema>;

/** One server-side probe of a source's `catalog.json`. */
export const SourceProbeSchema = z.object({
  source: SourceNameSchema,
  url: z.string(),
  ok: z.boolean(),
  status: z.nullable(z.int()),
  latencyMs: z.nullable(z.int()),
  error: z.nullable(z.string()),
  checkedAt: z.string(),
  consecutiveFailures: z.int().check(z.gte(0)),
});
export type SourceProbe = z.infer<typeof SourceProbeSchema>;

/** `POST /api/v1/sources/probe`: a candidate source URL, probed before anyone switches to it. */
export const SourceProbeRequestSchema = z.object({ url: SourceUrlSchema });
/** What the probe of a candidate found: its catalog.json answered, how fast, or why not. */
export const CandidateProbeSchema = z.object({ url: z.string(), ok: z.boolean(), status: z.nullable(z.int()), latencyMs: z.nullable(z.int()), error: z.nullable(z.string()) });
export type CandidateProbe = z.infer<typeof CandidateProbeSchema>;

/** Query of `GET /api/v1/sources/health`: how many days of fleet counts, today (UTC) included. */
export const SourceHealthQuerySchema = z.object({ days: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(90)), 1) });

/** `GET /api/v1/sources/health`: the server's probes and the fleet's reported counts per source and day (UTC), oldest day first. */
export const SourceHealthSchema = z.object({
  configVersion: z.nullable(z.int().check(z.positive())),
  probes: z.array(SourceProbeSchema),
  stats: z.array(z.object({ source: SourceNameSchema, day: z.string(), requests: z.number(), errors: z.number(), rateLimited: z.number(), fallbacks: z.number() })),
});
export type SourceHealth = z.infer<typeof SourceHealthSchema>;
