import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { canonicalJson } from '../trust/bytes.js';

/** `sha256-<hex>` of the RFC 8785 canonical JSON of a config document: key order does not matter. */
export function snapshotContentHash(document: unknown): string {
  const text = canonicalJson(document);
  return `sha256-${bytesToHex(sha256(utf8ToBytes(text)))}`;
}

/** Body of `POST /api/v1/snapshots/draft`. */
export const SnapshotDraftSchema = z.object({ document: z.record(z.string(), z.unknown()) });

/** Body of `PUT /api/v1/snapshots/schema`: a JSON Schema the draft must satisfy. */
export const SnapshotSchemaBodySchema = z.object({ schema: z.record(z.string(), z.unknown()) });

export const SnapshotRollbackSchema = z.object({ version: z.number().int().positive() });

/** The draft or the preview: a working copy, mutable, admin-only. */
export const SnapshotStageSchema = z.object({
  stage: z.enum(['draft', 'preview']),
  document: z.record(z.string(), z.unknown()),
  contentHash: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
  /** The preview's link key (`/api/v1/snapshots/preview/<key>`), new at each promotion; null for the draft. */
  previewKey: z.nullable(z.string()).optional(),
});
export type SnapshotStage = z.infer<typeof SnapshotStageSchema>;

/** `GET /api/v1/snapshots/preview/<key>`: the preview, for whoever holds its link. */
export const SnapshotPreviewSchema = z.object({ contentHash: z.string(), updatedAt: z.string(), document: z.record(z.string(), z.unknown()) });
export type SnapshotPreview = z.infer<typeof SnapshotPreviewSchema>;

/** One published version: immutable once written. `rollbackOf` names the version it republished. */
export const PublishedSnapshotSchema = z.object({
  version: z.number().int().positive(),
  contentHash: z.string(),
  publishedAt: z.string(),
  publishedBy: z.string(),
  rollbackOf: z.number().int().nullable(),
  document: z.record(z.string(), z.unknown()),
});
export type PublishedSnapshot = z.infer<typeof PublishedSnapshotSchema>;

export const SnapshotHistorySchema = z.object({
  versions: z.array(PublishedSnapshotSchema.omit({ document: true })),
  current: z.number().int().nullable(),
});
export type SnapshotHistory = z.infer<typeof SnapshotHistorySchema>;
