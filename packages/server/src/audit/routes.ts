import type { FastifyInstance } from 'fastify';
import { AuditPageSchema, AuditQuerySchema, AuditVerificationSchema, type AuditPage, type AuditVerification } from '@wharf/core';
import type { ApiCatalog } from '../docs/api-catalog.js';
import { toAuditEntry, type AuditLog } from './audit-log.js';

const DEFAULT_PAGE = 100;

/** `GET /api/v1/audit`: the chain oldest first, filtered and paged by sequence (admins only). */
export async function auditRoutes(app: FastifyInstance, { audit, catalog }: { audit: AuditLog; catalog: ApiCatalog }): Promise<void> {
  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/audit',
      tag: 'audit',
      access: 'audit.read',
      summary: 'The audit log',
      description: `Every control-plane change, oldest first, filtered by actor, action, target and time; ${DEFAULT_PAGE} entries a page unless \`limit\` says otherwise. Pass \`next\` as \`after\` for the following page.`,
      query: AuditQuerySchema,
      responses: { 200: { description: 'A page of entries', schema: AuditPageSchema } },
    },
    async ({ query }): Promise<AuditPage> => {
      const limit = query.limit ?? DEFAULT_PAGE;
      const rows = await audit.list({ ...query, limit });
      return { entries: rows.map(toAuditEntry), next: rows.length === limit ? Number(rows[rows.length - 1]!.seq) : null };
    },
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/audit/verify',
      tag: 'audit',
      access: 'audit.read',
      summary: 'Verify the hash chain',
      description: 'Recomputes every entry\'s hash and link: says whether the log is intact, else where it breaks.',
      responses: { 200: { description: 'The verification result', schema: AuditVerificationSchema } },
    },
    (): Promise<AuditVerification> => audit.verify(),
  );
}
