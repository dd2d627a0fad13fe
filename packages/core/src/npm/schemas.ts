import { z } from 'zod';

/**
 * Wire formats of the npm registry protocol (see shared/docs/npm-protocol.md).
 * Manifests are open-ended JSON: only what Wharf relies on is checked, the rest is kept as sent.
 */

export const SriString = z.string().regex(/^sha(1|256|384|512)-[A-Za-z0-9+/]+=*$/, 'not an SRI hash');

export const DistSchema = z.looseObject({
  integrity: SriString.optional(),
  shasum: z.string().regex(/^[0-9a-f]{40}$/, 'shasum must be 40 hex characters').optional(),
  tarball: z.string().optional(),
});

export const VersionManifestSchema = z.looseObject({
  name: z.string(),
  version: z.string(),
  description: z.string().optional(),
  dist: DistSchema.optional(),
  deprecated: z.string().optional(),
});
export type VersionManifest = z.infer<typeof VersionManifestSchema>;

export const AttachmentSchema = z.object({
  content_type: z.string().optional(),
  data: z.string().min(1, 'attachment has no data'),
  length: z.number().int().nonnegative().optional(),
});

/** Body of `PUT /<name>`: a publish carries `_attachments`, a metadata change (deprecate, unpublish) does not. */
export const PackumentWriteSchema = z.looseObject({
  _id: z.string().optional(),
  _rev: z.string().optional(),
  name: z.string(),
  description: z.string().optional(),
  'dist-tags': z.record(z.string(), z.string()).optional(),
  versions: z.record(z.string(), VersionManifestSchema).default({}),
  readme: z.string().optional(),
  access: z.string().nullable().optional(),
  _attachments: z.record(z.string(), AttachmentSchema).optional(),
});
export type PackumentWrite = z.infer<typeof PackumentWriteSchema>;

/** Body of `GET /<name>`, full or abbreviated (`modified` instead of `time`): what registry clients read. */
export const PackumentSchema = z.looseObject({
  name: z.string(),
  'dist-tags': z.record(z.string(), z.string()),
  versions: z.record(z.string(), VersionManifestSchema),
  time: z.record(z.string(), z.string()).optional(),
  modified: z.string().optional(),
});
export type Packument = z.infer<typeof PackumentSchema>;

/** Body of `PUT /-/user/org.couchdb.user:<name>` (npm adduser / login --auth-type=legacy). */
export const CouchUserSchema = z.looseObject({
  name: z.string().min(1).max(64).regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'user names use letters, digits, ".", "_" and "-"'),
  password: z.string().min(1, 'password is required').max(1024),
  email: z.string().max(254).optional(),
  type: z.string().optional(),
});

/** Body of `POST /-/npm/v1/tokens`. */
// npm 11 sends every field, unset ones as null.
export const TokenCreateSchema = z.looseObject({
  password: z.string().nullish(),
  readonly: z.boolean().nullish(),
  cidr_whitelist: z.array(z.string()).nullish(),
  name: z.string().max(128).nullish(),
  expires: z.union([z.number(), z.string()]).nullish(),
});

/** Body of `PUT /-/package/<name>/dist-tags/<tag>`: a bare JSON string. */
export const DistTagBodySchema = z.string().min(1, 'version is required');

export const SearchQuerySchema = z.object({
  text: z.string().max(256).default(''),
  size: z.coerce.number().int().min(0).max(250).default(20),
  from: z.coerce.number().int().min(0).max(100_000).default(0),
});

/** Every error Wharf returns: `{ error }`, so clients (npm prints it) always get a readable reason. */
export const ErrorBodySchema = z.object({ error: z.string() });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
