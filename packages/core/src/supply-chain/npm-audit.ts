import { z } from 'zod';
import type { NpmSeverity } from './severity.js';

/** Body of `POST /-/npm/v1/security/advisories/bulk`: installed versions per package name. */
export const AuditBulkRequestSchema = z
  .record(z.string().min(1).max(214), z.array(z.string().max(256)).max(10_000))
  .refine((body) => Object.keys(body).length <= 50_000, 'too many packages in one audit request');
export type AuditBulkRequest = z.infer<typeof AuditBulkRequestSchema>;

/** One advisory in the bulk answer, the shape npm's audit report reads. */
export interface AuditBulkAdvisory {
  id: string;
  url: string;
  title: string;
  severity: NpmSeverity;
  vulnerable_versions: string;
  cwe: string[];
  cvss: { score: number; vectorString: string | null };
}
export type AuditBulkResponse = Record<string, AuditBulkAdvisory[]>;
