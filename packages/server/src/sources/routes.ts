import type { FastifyInstance } from 'fastify';
import { MarketplaceSourceSchema, SourceStatsReportSchema } from '@wharf/core';
import { authorize } from '../access/permissions.js';
import { ifNoneMatchHits, installRateLimit, parseBody, perMinute } from '../http.js';
import { notFound } from '../errors.js';
import type { SourceService } from './source-service.js';

export interface SourceRoutesOptions {
  sources: SourceService;
  /** Stats posts accepted per client address and minute. */
  statsRateLimit?: number;
}

/** Marketplace sources: the operator's switch, the configuration every client polls, fleet counts and probes. */
export async function sourceRoutes(app: FastifyInstance, { sources, statsRateLimit = 30 }: SourceRoutesOptions): Promise<void> {
  await installRateLimit(app, 'stats reports');

  app.get('/api/v1/config/marketplace_source', async (request) => {
    authorize(request.principal, 'sources.read');
    const current = await sources.current();
    if (!current) throw notFound('marketplace_source has never been set');
    return current;
  });
  app.put('/api/v1/config/marketplace_source', async (request) => {
    const p = authorize(request.principal, 'sources.write');
    return sources.set(p.name, parseBody(MarketplaceSourceSchema, request.body, 'marketplace_source'));
  });
  app.get('/api/v1/config/marketplace_source/history', async (request) => {
    authorize(request.principal, 'sources.read');
    return sources.history();
  });

  // Public and identical for every client, so shared caches may hold it briefly; clients revalidate with the ETag.
  app.get('/api/v1/client-config', async (request, reply) => {
    const served = await sources.clientConfig();
    if (!served) throw notFound('no marketplace source is configured: clients keep their built-in default');
    reply.header('etag', served.etag).header('cache-control', 'public, max-age=60, must-revalidate');
    if (ifNoneMatchHits(request, served.etag)) return reply.code(304).send();
    return served.body;
  });

  // Opt-in SDK counts, anonymous by design: the worst a forger can do is skew a console chart, and the rate limit bounds that.
  app.post('/api/v1/sources/stats', { config: perMinute(statsRateLimit) }, async (request, reply) => {
    const accepted = await sources.recordStats(parseBody(SourceStatsReportSchema, request.body, 'stats report'));
    reply.code(202);
    return { accepted };
  });

  app.get('/api/v1/sources/health', async (request) => {
    authorize(request.principal, 'sources.read');
    return sources.health();
  });
}
