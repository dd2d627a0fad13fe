// Explicit exports: generic helper names (hex, digest) stay private to avoid clashes in @wharf/core.
export { TrustError, isTrustError, type TrustErrorCode } from './errors.js';
export { canonicalBytes, canonicalJson, tufCanonicalBytes, tufCanonicalJson, concatBytes, sriOf, toHex as trustToHex, fromHex as trustFromHex } from './bytes.js';
export {
  PublicKeySchema,
  KeyPairFileSchema,
  publicKeyOf,
  keyIdOf,
  generateKeyPair,
  publicPart,
  signBytes,
  verifyBytes,
  verifyBytesAsync,
  type PublicKey,
  type KeyPairFile,
} from './keys.js';
export { TufKeySchema, verifyWithKey, type TufKey } from './key-schemes.js';
export {
  TOP_LEVEL_ROLES,
  WharfTargetCustomSchema,
  parseEnvelope,
  targetEntry,
  verifyThreshold,
  verifyRoleSignatures,
  isExpired,
  tufTime,
  type TopLevelRole,
  type Envelope,
  type RootSigned,
  type TimestampSigned,
  type SnapshotSigned,
  type TargetsSigned,
  type WharfTargetCustom,
  type TargetFile as TrustTargetFile,
  type MetaFile as TrustMetaFile,
} from './metadata.js';
export { PackageSignatureFieldSchema, packageDigestPayload, signPackage, verifyPackageSignature, targetPath, deltaPath, type PackageSignatureField, type PackageDigest } from './package-signature.js';
export { readLimited, readStreamLimited, type FetchLike } from './transport.js';
export { MemoryTrustedMetadataStore, type TrustedMetadataStore } from './store.js';
export { rootFingerprint } from './fingerprint.js';
export {
  RegisterKeyBodySchema,
  RevokeBodySchema,
  SignaturePolicyBodySchema,
  type RegisterKeyBody,
  type RevokeBody,
  type SignaturePolicyBody,
  type RegisteredKey,
  RegisteredKeySchema,
  RegisteredKeyListSchema,
  type RegisteredKeyList,
  SignaturePolicySchema,
  type SignaturePolicy,
  RootUpdateResponseSchema,
  TrustOkSchema,
} from './api.js';
export { dssePae, verifyDsse, type DsseEnvelope } from './dsse.js';
export { TrustClient, consistentTargetPath, type TrustClientOptions, type TrustedTarget, type VerifiedPackage } from './client.js';
