import * as z from 'zod/mini';
import { ROLE_NAMES } from '../release/access.js';

/**
 * Wire formats of the npm registry protocol (see shared/docs/npm-protocol.md).
 * Manifests are open-ended JSON: only what Wharf relies on is checked, the rest is kept as sent.
 */

export const SriString = z.string().check(z.regex(/^sha(1|256|384|512)-[A-Za-z0-9+/]+=*$/, 'not an SRI hash'));

export const DistSchema = z.looseObject({
  integrity: z.optional(SriString),
  shasum: z.optional(z.string().check(z.regex(/^[0-9a-f]{40}$/, 'shasum must be 40 hex characters'))),
  tarball: z.optional(z.string()),
});

export const VersionManifestSchema = z.looseObject({
  name: z.string(),
  version: z.string(),
  description: z.optional(z.string()),
  dist: z.optional(DistSchema),
  deprecated: z.optional(z.string()),
});
export type VersionManifest = z.infer<typeof VersionManifestSchema>;

export const AttachmentSchema = z.object({
  content_type: z.optional(z.string()),
  data: z.string().check(z.minLength(1, 'attachment has no data')),
  length: z.optional(z.int().check(z.nonnegative())),
});

/** Body of `PUT /<name>`: a publish carries `_attachments`, a metadata change (deprecate, unpublish) does not. */
export const PackumentWriteSchema = z.looseObject({
  _id: z.optional(z.string()),
  _rev: z.optional(z.string()),
  name: z.string(),
  description: z.optional(z.string()),
  'dist-tags': z.optional(z.record(z.string(), z.string())),
  versions: z._default(z.record(z.string(), VersionManifestSchema), {}),
  readme: z.optional(z.string()),
  access: z.optional(z.nullable(z.string())),
  _attachments: z.optional(z.record(z.string(), AttachmentSchema)),
});
export type PackumentWrite = z.infer<typeof PackumentWriteSchema>;

/** Body of `GET /<name>`, full or abbreviated (`modified` instead of `time`): what registry clients read. */
export const PackumentSchema = z.looseObject({
  name: z.string(),
  'dist-tags': z.record(z.string(), z.string()),
  versions: z.record(z.string(), VersionManifestSchema),
  time: z.optional(z.record(z.string(), z.string())),
  modified: z.optional(z.string()),
});
export type Packument = z.infer<typeof PackumentSchema>;

/** Body of `PUT /-/user/org.couchdb.user:<name>` (npm adduser / login --auth-type=legacy). */
/** An account name, as `npm adduser` and the first-run setup take it. */
export const UserNameSchema = z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'user names use letters, digits, ".", "_" and "-"'));

export const CouchUserSchema = z.looseObject({
  name: UserNameSchema,
  password: z.string().check(z.minLength(1, 'password is required'), z.maxLength(1024)),
  email: z.optional(z.string().check(z.maxLength(254))),
  type: z.optional(z.string()),
});

/** Body of `POST /-/npm/v1/tokens`. */
// npm 11 sends every field, unset ones as null.
export const TokenCreateSchema = z.looseObject({
  password: z.nullish(z.string()),
  readonly: z.nullish(z.boolean()),
  cidr_whitelist: z.nullish(z.array(z.string())),
  name: z.nullish(z.string().check(z.maxLength(128))),
  expires: z.nullish(z.union([z.number(), z.string()])),
  /** Wharf's own: the role the token is scoped to; unset, it acts with its user's role (what npm creates). */
  role: z.nullish(z.enum(ROLE_NAMES, { error: `role must be one of ${ROLE_NAMES.join(', ')}` })),
});

/** One token as `GET /-/npm/v1/tokens` lists it (only the secret's first characters) and as creation answers (the secret in full, once). */
export const TokenInfoSchema = z.object({
  key: z.string(),
  token: z.string(),
  name: z.optional(z.string()),
  created: z.string(),
  expires: z.optional(z.string()),
  readonly: z.boolean(),
  /** Null in a listing when the token may be used from anywhere. */
  cidr_whitelist: z.nullable(z.array(z.string())),
  /** Null: the token acts with its user's role. */
  role: z.nullable(z.enum(ROLE_NAMES)),
});
export type TokenInfo = z.infer<typeof TokenInfoSchema>;

/** `GET /-/npm/v1/tokens`. */
export const TokenListSchema = z.object({ objects: z.array(TokenInfoSchema), total: z.number() });

/** Body of `PUT /-/package/<name>/dist-tags/<tag>`: a bare JSON string. */
/**
 * `npm access set status=…|mfa=…` (POST /-/package/<name>/access). Both fields are optional on the
 * wire; the route says which values Wharf can honour.
 */
export const PackageAccessBodySchema = z.looseObject({
  access: z.optional(z.enum(['public', 'restricted'], { error: 'access must be public or restricted' })),
  publish_requires_tfa: z.optional(z.boolean()),
  automation_token_overrides_tfa: z.optional(z.boolean()),
});

/**
 * npm's registry signatures: each version's `dist.signatures` holds an ECDSA P-256 / SHA-256
 * signature over `<name>@<version>:<integrity>`, checked by `npm audit signatures` against the keys
 * at `GET /-/npm/v1/keys`.
 */
export const NpmDistSignatureSchema = z.object({ keyid: z.string(), sig: z.string() });
export type NpmDistSignature = z.infer<typeof NpmDistSignatureSchema>;

export const NpmRegistryKeySchema = z.object({
  /** `SHA256:` and the unpadded base64 SHA-256 of the DER public key, as npm's own registry names its keys. */
  keyid: z.string(),
  /** Null while the key is in use; npm refuses signatures on versions published after a key's expiry. */
  expires: z.nullable(z.string()),
  keytype: z.literal('ecdsa-sha2-nistp256'),
  scheme: z.literal('ecdsa-sha2-nistp256'),
  /** Base64 DER SubjectPublicKeyInfo. */
  key: z.string(),
});
export const NpmRegistryKeysSchema = z.object({ keys: z.array(NpmRegistryKeySchema) });
export type NpmRegistryKeys = z.infer<typeof NpmRegistryKeysSchema>;

/** The message a registry signature covers. */
export const npmSignedMessage = (name: string, version: string, integrity: string): string => `${name}@${version}:${integrity}`;

export const DistTagBodySchema = z.string().check(z.minLength(1, 'version is required'));

export const SearchQuerySchema = z.object({
  text: z._default(z.string().check(z.maxLength(256)), ''),
  size: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(250)), 20),
  from: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(100_000)), 0),
});

/** Every error Wharf returns: `{ error }`, so clients (npm prints it) always get a readable reason. */
export const ErrorBodySchema = z.object({ error: z.string() });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
