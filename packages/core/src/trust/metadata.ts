import * as z from 'zod/mini';
import { tufCanonicalBytes } from './bytes.js';
import { TufKeySchema, verifyWithKey } from './key-schemes.js';
import { TrustError } from './errors.js';

/** TUF metadata (spec 1.0): unknown fields are kept, since signatures cover the document as sent. */
export const TOP_LEVEL_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type TopLevelRole = (typeof TOP_LEVEL_ROLES)[number];

const version = z.int().check(z.gte(1));
const expires = z.string().check(z.regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'expires must be an ISO timestamp in UTC without fractions'));
const hashes = z.record(z.string(), z.string().check(z.regex(/^[0-9a-f]+$/)));

export const SignatureSchema = z.looseObject({ keyid: z.string(), sig: z.string() });
export const RoleSchema = z.looseObject({ keyids: z.array(z.string()), threshold: z.int().check(z.gte(1)) });
export const MetaFileSchema = z.looseObject({ version, length: z.optional(z.int().check(z.gte(0))), hashes: z.optional(hashes) });
export type MetaFile = z.infer<typeof MetaFileSchema>;

/** Wharf's fields in a target's `custom`: what the client checks beyond length and hashes. */
export const WharfTargetCustomSchema = z.looseObject({
  name: z.string(),
  version: z.string(),
  integrity: z.string(),
  /** sha512 SRI of every file in the tarball, by path inside `package/`. */
  files: z.record(z.string(), z.string()),
  /** The publisher's signature over the package digest; absent when published unsigned. */
  signature: z.optional(z.looseObject({ keyid: z.string(), sig: z.string(), public: z.string() })),
  revoked: z.optional(z.looseObject({ reason: z.string(), at: z.string() })),
  /** Deltas to this version (`/-/deltas/<name>/<from>..<to>`), by the version they start from. */
  deltas: z.optional(z.record(z.string(), z.looseObject({ length: z.int().check(z.gte(0)), sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)) }))),
  /** The registry's signature (a targets key) over the same package digest, made when it accepted the publish. */
  countersignature: z.optional(z.looseObject({ keyid: z.string(), sig: z.string() })),
});
export type WharfTargetCustom = z.infer<typeof WharfTargetCustomSchema>;

export const TargetFileSchema = z.looseObject({
  length: z.int().check(z.gte(0)),
  hashes,
  custom: z.optional(z.looseObject({ wharf: z.optional(WharfTargetCustomSchema) })),
});
export type TargetFile = z.infer<typeof TargetFileSchema>;

const common = { spec_version: z.string(), version, expires };
export const RootSignedSchema = z.looseObject({
  _type: z.literal('root'),
  ...common,
  consistent_snapshot: z.boolean(),
  keys: z.record(z.string(), TufKeySchema),
  roles: z.looseObject({ root: RoleSchema, targets: RoleSchema, snapshot: RoleSchema, timestamp: RoleSchema }),
});
export const TimestampSignedSchema = z.looseObject({ _type: z.literal('timestamp'), ...common, meta: z.looseObject({ 'snapshot.json': MetaFileSchema }) });
export const SnapshotSignedSchema = z.looseObject({ _type: z.literal('snapshot'), ...common, meta: z.record(z.string(), MetaFileSchema) });
// Entries are validated when read (`targetEntry`): checking 10,000 of them up front would cost
// more than verifying the signature over them.
export const TargetsSignedSchema = z.looseObject({ _type: z.literal('targets'), ...common, targets: z.record(z.string(), z.unknown()) });

export type RootSigned = z.infer<typeof RootSignedSchema>;
export type TimestampSigned = z.infer<typeof TimestampSignedSchema>;
export type SnapshotSigned = z.infer<typeof SnapshotSignedSchema>;
export type TargetsSigned = z.infer<typeof TargetsSignedSchema>;

const SIGNED = { root: RootSignedSchema, timestamp: TimestampSignedSchema, snapshot: SnapshotSignedSchema, targets: TargetsSignedSchema };
type SignedOf = { root: RootSigned; timestamp: TimestampSigned; snapshot: SnapshotSigned; targets: TargetsSigned };

export interface Envelope<R extends TopLevelRole> {
  /** The parsed view, for reading fields. */
  signed: SignedOf[R];
  /** The `signed` object exactly as received: what signatures are checked against. */
  raw: unknown;
  signatures: { keyid: string; sig: string }[];
}

const EnvelopeSchema = z.looseObject({ signed: z.unknown(), signatures: z.array(SignatureSchema) });

/** Parses a metadata file of the expected role; any shape problem is `malformed`. */
export function parseEnvelope<R extends TopLevelRole>(role: R, text: string): Envelope<R> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TrustError('malformed', `${role} metadata is not JSON`);
  }
  const env = EnvelopeSchema.safeParse(json);
  if (!env.success) throw new TrustError('malformed', `${role} metadata is not a signed envelope`);
  const signed = SIGNED[role].safeParse(env.data.signed);
  if (!signed.success) throw new TrustError('malformed', `${role} metadata: ${signed.error.issues[0]?.path.join('.')} ${signed.error.issues[0]?.message}`);
  return { signed: signed.data as SignedOf[R], raw: env.data.signed, signatures: env.data.signatures };
}

/**
 * Counts valid signatures from the role's keys. Metadata listing one key id twice is refused, as
 * the spec asks (a key counts once in any case: listing it twice can never reach a threshold).
 */
export async function verifyThreshold(root: RootSigned, role: TopLevelRole, envelope: Envelope<TopLevelRole>, label: string = role): Promise<void> {
  let message: Uint8Array;
  try {
    message = tufCanonicalBytes(envelope.raw);
  } catch (err) {
    throw new TrustError('malformed', `${label} has no canonical form: ${(err as Error).message}`);
  }
  await verifyRoleSignatures(root, role, envelope.signatures, message, label);
}

/** The threshold rule over any signed bytes (TUF metadata, the catalog): throws `signature-threshold`. */
export async function verifyRoleSignatures(root: RootSigned, role: TopLevelRole, signatures: { keyid: string; sig: string }[], message: Uint8Array, label: string): Promise<void> {
  const spec = root.roles[role];
  const seen = new Set<string>();
  for (const { keyid } of signatures) {
    if (seen.has(keyid)) throw new TrustError('signature-threshold', `${label} lists a signature by key ${keyid.slice(0, 12)}… more than once`);
    seen.add(keyid);
  }
  const counted = new Set<string>();
  for (const { keyid, sig } of signatures) {
    if (counted.has(keyid) || !spec.keyids.includes(keyid)) continue;
    const key = root.keys[keyid];
    if (key && (await verifyWithKey(key, sig, message))) counted.add(keyid);
  }
  if (counted.size < spec.threshold) {
    throw new TrustError('signature-threshold', `${label} has ${counted.size} valid signature(s) from trusted ${role} keys; ${spec.threshold} required`);
  }
}

/** One entry of a verified targets file, validated; `malformed` if it is not a target description. */
export function targetEntry(targets: TargetsSigned, path: string): TargetFile | null {
  if (!Object.hasOwn(targets.targets, path)) return null;
  const parsed = TargetFileSchema.safeParse(targets.targets[path]);
  if (!parsed.success) throw new TrustError('malformed', `target ${path}: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** A date as TUF metadata writes `expires`: ISO 8601 in UTC, without fractions of a second. */
export const tufTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function isExpired(signed: { expires: string }, now: Date): boolean {
  return Date.parse(signed.expires) <= now.getTime();
}
