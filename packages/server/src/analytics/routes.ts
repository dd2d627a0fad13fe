import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AccountErasureSchema, AnalyticsAcceptedSchema, AnalyticsReportSchema, PluginIdSchema, PluginStatsSchema, UserDataExportSchema } from '@wharf/core';
import type { ApiCatalog } from '../docs/api-catalog.js';
import type { AnalyticsService } from './analytics-service.js';
import type { PrivacyService } from './privacy-service.js';

export interface AnalyticsRoutesOptions {
  analytics: AnalyticsService;
  privacy: PrivacyService;
  catalog: ApiCatalog;
}

/** Opt-in usage counters, per-plugin daily sums, and the caller's GDPR export and erasure. */
export async function analyticsRoutes(app: FastifyInstance, opts: AnalyticsRoutesOptions): Promise<void> {
  const { analytics, privacy, catalog } = opts;

  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/analytics',
      tag: 'analytics',
      access: 'public',
      summary: 'Send opt-in usage counters',
      description:
        'Counters a host app aggregated itself (installs, activations, errors per plugin and day), sent only when its user opted in (`optIn: true`). Nothing about the sender is stored; raw reports are deleted after 90 days.',
      body: AnalyticsReportSchema,
      responses: { 202: { description: 'Counters stored (those of unknown plugins are dropped)', schema: AnalyticsAcceptedSchema } },
    },
    async ({ body }, _request, reply) => {
      reply.code(202);
      return analytics.record(body);
    },
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/plugins/:id/stats',
      tag: 'analytics',
      access: 'public',
      summary: 'Daily sums of the opt-in counters of a plugin',
      params: z.object({ id: PluginIdSchema }),
      query: z.object({ days: z.coerce.number().int().min(1).max(365).default(30) }),
      responses: { 200: { description: 'One entry per day that has counters', schema: PluginStatsSchema } },
    },
    ({ params, query }) => analytics.stats(params.id, query.days),
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/users/me/data',
      tag: 'account',
      access: 'user',
      summary: 'Export everything the server holds about you',
      responses: { 200: { description: 'Your account, tokens (never their secrets), packages, scopes, published versions, signing keys, provenance records, listings, reviews, reports and audit entries', schema: UserDataExportSchema } },
    },
    (_input, request) => privacy.export(request.principal),
  );

  catalog.route(
    app,
    {
      method: 'DELETE',
      url: '/api/v1/users/me',
      tag: 'account',
      access: 'user',
      summary: 'Erase your personal data',
      description:
        'The account is anonymised and disabled rather than deleted, since published versions and owned packages refer to it: random name (`deleted-…`), no email, no password, every token revoked. Packages show that name without an email as maintainer and as the publisher (`_npmUser`, npm search) of your versions; the rest of a version document is the package\'s own content and stays. A listing publisher naming you or holding your email is cleared, signing keys lose their labels. Reviews stay without an author; reports lose their reporter. Signed provenance statements and the audit log are append-only records and keep the name they were made with.',
      responses: { 200: { description: 'What was done', schema: AccountErasureSchema } },
    },
    (_input, request) => privacy.erase(request.principal),
  );
}
