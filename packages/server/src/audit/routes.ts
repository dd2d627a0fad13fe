import type { FastifyInstance } from 'fastify';
import { AuditQuerySchema, type AuditPage } from '@wharf/core';
import { authorize } from '../access/permissions.js';
import { parseBody } from '../http.js';
import { toAuditEntry, type AuditLog } from './audit-log.js';

const DEFAULT_PAGE = 100;

/** `GET /api/v1/audit`: the chain oldest first, filtered and paged by sequence (admins only). */
export async function auditRoutes(app: FastifyInstance, { audit }: { audit: AuditLog }): Promise<void> {
  app.get('/api/v1/audit', async (request): Promise<AuditPage> => {
    authorize(request.principal, 'audit.read');
    const query = parseBody(AuditQuerySchema, request.query, 'query');
    const limit = query.limit ?? DEFAULT_PAGE;
    const rows = await audit.list({ ...query, limit });
    return { entries: rows.map(toAuditEntry), next: rows.length === limit ? Number(rows[rows.length - 1]!.seq) : null };
  });

  app.get('/api/v1/audit/verify', async (request) => {
    authorize(request.principal, 'audit.read');
    return audit.verify();
  });
}
