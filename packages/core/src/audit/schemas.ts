import { z } from 'zod';

/** One audit row as the server stores and serves it: the hashed content plus the chain links. */
export const AuditEntrySchema = z.object({
  seq: z.number().int().positive(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** A page of `GET /api/v1/audit`, oldest first; `next` is the `after` cursor of the following page. */
export const AuditPageSchema = z.object({
  entries: z.array(AuditEntrySchema),
  next: z.number().int().nullable(),
});
export type AuditPage = z.infer<typeof AuditPageSchema>;

/** Query of `GET /api/v1/audit`: filters plus an `after` sequence cursor. */
export const AuditQuerySchema = z.object({
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  target: z.string().min(1).optional(),
  since: z.iso.datetime().optional(),
  until: z.iso.datetime().optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

export const AUDIT_PROBLEMS = ['edited', 'deleted', 'reordered', 'relinked'] as const;
export type AuditProblem = (typeof AUDIT_PROBLEMS)[number];

/**
 * What verifying the chain found (`GET /api/v1/audit/verify`, `wharf audit verify`): intact up to
 * `head`, else the first row that breaks it (`seq` 0 when rows were removed from an empty end).
 */
export const AuditVerificationSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), count: z.number().int().min(0), head: z.string().regex(/^[0-9a-f]{64}$/) }),
  z.object({ ok: z.literal(false), count: z.number().int().min(0), seq: z.number().int().min(0), problem: z.enum(AUDIT_PROBLEMS), message: z.string() }),
]);
export type AuditVerification = z.infer<typeof AuditVerificationSchema>;
