import type { FastifyInstance } from 'fastify';
import { CandidateProbeSchema, ClientConfigSchema, SourceHealthQuerySchema, SourceProbeRequestSchema, MarketplaceSourceHistorySchema, MarketplaceSourceSchema, MarketplaceSourceVersionSchema, SourceHealthSchema, SourceStatsReportSchema, SourceStatsResultSchema, type SourceStatsResult } from '@wharf/core';
import type { ApiCatalog } from '../docs/api-catalog.js';
import { installRateLimit, perMinute, sentNotModified } from '../http.js';
import { notFound } from '../errors.js';
import type { SourceService } from './source-service.js';
import type { SourceProber } from './source-prober.js';

export interface SourceRoutesOptions {
  sources: SourceService;
  prober: SourceProber;
  catalog: ApiCatalog;
  /** Stats posts accepted per client address and minute. */
  statsRateLimit?: number;
}

/** Marketplace sources: the operator's switch, the configuration every client polls, fleet counts and probes. */
export async function sourceRoutes(app: FastifyInstance, { sources, prober, catalog, statsRateLimit = 30 }: SourceRoutesOptions): Promise<void> {
  await installRateLimit(app, 'stats reports');
  const tag = 'sources';

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/config/marketplace_source',
      tag,
      access: 'sources.read',
      summary: 'The current marketplace source configuration',
      responses: { 200: { description: 'The current version', schema: MarketplaceSourceVersionSchema }, 404: { description: 'Never set' } },
    },
    async () => {
      const current = await sources.current();
      if (!current) throw notFound('marketplace_source has never been set');
      return current;
    },
  );
  catalog.route(
    app,
    {
      method: 'PUT',
      url: '/api/v1/config/marketplace_source',
      tag,
      access: 'sources.write',
      summary: 'Switch where the fleet reads plugins from',
      description: 'Each change is a new version; clients pick it up from `GET /api/v1/client-config` and never go back to an older one.',
      body: MarketplaceSourceSchema,
      bodyName: 'marketplace_source',
      responses: { 200: { description: 'The new version', schema: MarketplaceSourceVersionSchema } },
    },
    ({ body, principal }) => sources.set(principal.name, body),
  );
  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/config/marketplace_source/history',
      tag,
      access: 'sources.read',
      summary: 'Every version of the source configuration',
      responses: { 200: { description: 'The history', schema: MarketplaceSourceHistorySchema } },
    },
    () => sources.history(),
  );

  // Public and identical for every client, so shared caches may hold it briefly; clients revalidate with the ETag.
  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/client-config',
      tag,
      access: 'public',
      summary: 'The configuration every client polls',
      description: 'The same for every client (canary membership is decided client-side); cacheable for 60 s, revalidate with If-None-Match.',
      responses: {
        200: { description: 'The configuration', schema: ClientConfigSchema },
        304: { description: 'Unchanged since the ETag sent' },
        404: { description: 'No source configured: clients keep their built-in default' },
      },
    },
    async (_input, request, reply) => {
      const served = await sources.clientConfig();
      if (!served) throw notFound('no marketplace source is configured: clients keep their built-in default');
      if (sentNotModified(request, reply, served.etag, 'public, max-age=60, must-revalidate')) return reply;
      return served.body;
    },
  );

  // Opt-in SDK counts, anonymous by design: the worst a forger can do is skew a console chart, and the rate limit bounds that.
  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/sources/stats',
      tag,
      access: 'public',
      summary: 'Send opt-in per-source counts',
      description: 'Requests, errors, rate-limited answers and fallbacks per source name, aggregated by the SDK; no install id, user, address or URL. Rate-limited per client address.',
      body: SourceStatsReportSchema,
      bodyName: 'stats report',
      options: { config: perMinute(statsRateLimit) },
      responses: { 202: { description: 'How many counts were taken', schema: SourceStatsResultSchema }, 429: { description: 'Too many reports from this address' } },
    },
    async ({ body }, _request, reply): Promise<SourceStatsResult> => {
      const accepted = await sources.recordStats(body);
      reply.code(202);
      return { accepted };
    },
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/sources/health',
      tag,
      access: 'sources.read',
      summary: "The server's probes and the fleet's counts of each source",
      description: '`days` (1 to 90, default 1: today) days of counts, per source and UTC day.',
      query: SourceHealthQuerySchema,
      responses: { 200: { description: 'Probes and the counts per day', schema: SourceHealthSchema } },
    },
    ({ query }) => sources.health(query.days),
  );

  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/sources/probe',
      tag,
      access: 'sources.write',
      summary: 'Test a candidate source URL before switching to it',
      description: "The server fetches the candidate's catalog.json as it probes configured sources (same guards: no loopback, private or metadata address unless the operator allowed it) and says what it found; nothing is stored.",
      body: SourceProbeRequestSchema,
      responses: { 200: { description: 'What the probe found', schema: CandidateProbeSchema } },
    },
    ({ body }) => prober.probeCandidate(body.url),
  );
}
