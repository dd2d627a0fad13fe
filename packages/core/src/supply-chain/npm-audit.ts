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

/** A node of npm's (and pnpm's) full audit request: a dependency, its installed version and its own dependencies. */
export interface AuditTreeNode {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, AuditTreeNode>;
}
const AuditTreeNodeSchema: z.ZodType<AuditTreeNode> = z.lazy(() =>
  z.looseObject({ version: z.string().max(256).optional(), dev: z.boolean().optional(), dependencies: z.record(z.string().min(1).max(214), AuditTreeNodeSchema).optional() }),
);

/** Body of `POST /-/npm/v1/security/audits[/quick]` (what `pnpm audit` sends): the dependency tree. */
export const AuditTreeRequestSchema = z.looseObject({ dependencies: z.record(z.string().min(1).max(214), AuditTreeNodeSchema).default({}) });
export type AuditTreeRequest = z.infer<typeof AuditTreeRequestSchema>;

/** One advisory of npm's audit report (v1, the shape pnpm reads), with where the tree holds affected versions. */
export interface AuditReportAdvisory {
  id: string;
  github_advisory_id: string;
  title: string;
  module_name: string;
  vulnerable_versions: string;
  patched_versions: string;
  severity: NpmSeverity;
  url: string;
  cwe: string[];
  cves: string[];
  cvss: { score: number; vectorString: string | null };
  findings: { version: string; paths: string[] }[];
  recommendation: string;
}

export interface AuditReport {
  actions: never[];
  advisories: Record<string, AuditReportAdvisory>;
  muted: never[];
  metadata: { vulnerabilities: Record<NpmSeverity, number>; dependencies: number; devDependencies: number; optionalDependencies: number; totalDependencies: number };
}
