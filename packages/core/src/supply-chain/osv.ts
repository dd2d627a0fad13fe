import { z } from 'zod';
import semver from 'semver';

/**
 * OSV advisories (https://ossf.github.io/osv-schema/), the format operators import. Fields Wharf
 * does not read are kept as sent; the ones it evaluates (ids, affected ranges) are checked
 * strictly, so a malformed advisory is refused at import instead of silently matching nothing.
 */

const Timestamp = z.iso.datetime({ offset: true, message: 'not an RFC 3339 timestamp' });

/** OSV ids are `<DATABASE>-<ENTRY>`; they appear in URLs and messages, so nothing exotic. */
export const OsvIdSchema = z
  .string()
  .max(128, 'advisory id is longer than 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'advisory id may contain only letters, digits, ".", "_", ":" and "-"');

const Event = z.union([
  z.strictObject({ introduced: z.string().min(1) }),
  z.strictObject({ fixed: z.string().min(1) }),
  z.strictObject({ last_affected: z.string().min(1) }),
  z.strictObject({ limit: z.string().min(1) }),
]);
export type OsvEvent = z.infer<typeof Event>;

const RangeSchema = z
  .looseObject({
    type: z.enum(['GIT', 'SEMVER', 'ECOSYSTEM']),
    repo: z.string().optional(),
    events: z.array(Event).min(1, 'a range needs at least one event'),
    database_specific: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((range, ctx) => {
    if (range.type === 'GIT' && !range.repo) ctx.addIssue({ code: 'custom', path: ['repo'], message: 'a GIT range needs its repo' });
    if (!range.events.some((e) => 'introduced' in e)) ctx.addIssue({ code: 'custom', path: ['events'], message: 'a range needs an "introduced" event' });
    if (range.events.some((e) => 'fixed' in e) && range.events.some((e) => 'last_affected' in e)) {
      ctx.addIssue({ code: 'custom', path: ['events'], message: 'a range may use "fixed" or "last_affected" events, not both' });
    }
  });
export type OsvRange = z.infer<typeof RangeSchema>;

const SeveritySchema = z.looseObject({ type: z.enum(['CVSS_V2', 'CVSS_V3', 'CVSS_V4', 'Ubuntu']), score: z.string().min(1) });

const AffectedSchema = z
  .looseObject({
    package: z.looseObject({ ecosystem: z.string().min(1), name: z.string().min(1), purl: z.string().optional() }),
    severity: z.array(SeveritySchema).optional(),
    ranges: z.array(RangeSchema).optional(),
    versions: z.array(z.string()).optional(),
    ecosystem_specific: z.record(z.string(), z.unknown()).optional(),
    database_specific: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((affected, ctx) => {
    // npm versions are SemVer: a version Wharf cannot compare would make the range meaningless.
    if (affected.package.ecosystem !== 'npm') return;
    (affected.ranges ?? []).forEach((range, r) => {
      if (range.type === 'GIT') return;
      range.events.forEach((event, e) => {
        const version = Object.values(event)[0]!;
        if (!('introduced' in event && version === '0') && !semver.valid(version)) {
          ctx.addIssue({ code: 'custom', path: ['ranges', r, 'events', e], message: `"${version}" is not a SemVer version` });
        }
      });
    });
    (affected.versions ?? []).forEach((version, v) => {
      if (!semver.valid(version)) ctx.addIssue({ code: 'custom', path: ['versions', v], message: `"${version}" is not a SemVer version` });
    });
  });
export type OsvAffected = z.infer<typeof AffectedSchema>;

const REFERENCE_TYPES = ['ADVISORY', 'ARTICLE', 'DETECTION', 'DISCUSSION', 'REPORT', 'FIX', 'INTRODUCED', 'GIT', 'PACKAGE', 'EVIDENCE', 'WEB'] as const;

export const OsvAdvisorySchema = z.looseObject({
  schema_version: z.string().optional(),
  id: OsvIdSchema,
  modified: Timestamp,
  published: Timestamp.optional(),
  withdrawn: Timestamp.optional(),
  aliases: z.array(z.string()).optional(),
  related: z.array(z.string()).optional(),
  upstream: z.array(z.string()).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: z.array(SeveritySchema).optional(),
  affected: z.array(AffectedSchema).optional(),
  references: z.array(z.looseObject({ type: z.enum(REFERENCE_TYPES), url: z.url() })).optional(),
  credits: z.array(z.looseObject({ name: z.string(), contact: z.array(z.string()).optional(), type: z.string().optional() })).optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});
export type OsvAdvisory = z.infer<typeof OsvAdvisorySchema>;

/** `GET /api/v1/advisories`: the imported advisories (of one package when asked), in OSV format. */
export const AdvisoryListSchema = z.object({ total: z.number().int().nonnegative(), advisories: z.array(OsvAdvisorySchema) });
export type AdvisoryList = z.infer<typeof AdvisoryListSchema>;

/** What `POST /api/v1/advisories` accepts: one advisory or a list (an OSV export is either). */
export const AdvisoryImportSchema = z.preprocess(
  (value) => (Array.isArray(value) ? value : [value]),
  z.array(OsvAdvisorySchema).min(1, 'no advisories to import').max(10_000, 'at most 10000 advisories per import'),
);

/** npm package names an advisory affects. */
export function npmPackagesOf(advisory: OsvAdvisory): string[] {
  return [...new Set((advisory.affected ?? []).filter((a) => a.package.ecosystem === 'npm').map((a) => a.package.name))].sort();
}

/** Answer of `POST /api/v1/advisories`: what happened to each advisory, in the order sent. */
export const AdvisoryImportReportSchema = z.object({
  imported: z.number().int().nonnegative(),
  advisories: z.array(z.object({ id: z.string(), outcome: z.enum(['created', 'updated', 'unchanged', 'older']) })),
});
export type AdvisoryImportReport = z.infer<typeof AdvisoryImportReportSchema>;
