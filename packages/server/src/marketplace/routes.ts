import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  InstallCountSchema,
  ListingListSchema,
  ListingQueueQuerySchema,
  ListingStateChangeSchema,
  PageQuerySchema,
  PluginIdSchema,
  PluginListingInputSchema,
  PluginListingSchema,
  PluginVersionsSchema,
  ReportInputSchema,
  ReportListQuerySchema,
  ReportListSchema,
  ReportResolutionSchema,
  ReportSchema,
  ReviewInputSchema,
  ReviewListSchema,
  ReviewSchema,
  SearchParamsSchema,
  SearchResultSchema,
} from '@wharf/core';
import type { ApiCatalog } from '../docs/api-catalog.js';
import type { MarketplaceService } from './marketplace-service.js';

export interface MarketplaceRoutesOptions {
  marketplace: MarketplaceService;
  catalog: ApiCatalog;
}

const PluginParams = z.object({ id: PluginIdSchema });
const ReportParams = z.object({ reportId: z.uuid() });

/** `/api/v1/plugins`, `/api/v1/search` and `/api/v1/moderation`: thin handlers over MarketplaceService. */
export async function marketplaceRoutes(app: FastifyInstance, opts: MarketplaceRoutesOptions): Promise<void> {
  const { marketplace: m, catalog } = opts;

  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/plugins',
      tag: 'plugins',
      access: 'user',
      summary: 'Create a listing',
      description:
        'Any user who may publish can create a listing; a listing naming a registry `package` must come from an owner of that package. New listings are `pending` until an admin approves them; an admin\'s listings are published at once.',
      body: PluginListingInputSchema,
      responses: { 201: { description: 'Listing created', schema: PluginListingSchema } },
    },
    async ({ body }, request, reply) => {
      reply.code(201);
      return m.createListing(request.principal, body);
    },
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/plugins/:id',
      tag: 'plugins',
      access: 'public',
      summary: 'A listing',
      description: 'Pending and suspended listings are visible only to their owner and to admins.',
      params: PluginParams,
      responses: { 200: { description: 'The listing', schema: PluginListingSchema } },
    },
    ({ params }, request) => m.listing(request.principal, params.id),
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/plugins/:id/versions',
      tag: 'plugins',
      access: 'public',
      summary: 'Versions of the listed package',
      description: 'Newest first, with host compatibility from each manifest (`cartae.minVersion`, `engines.cartae`), signature status and SBOM link.',
      params: PluginParams,
      responses: { 200: { description: 'The versions', schema: PluginVersionsSchema } },
    },
    ({ params }, request) => m.versions(request.principal, params.id),
  );

  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/plugins/:id/install',
      tag: 'plugins',
      access: 'public',
      summary: 'Count an install',
      description: 'Adds one to the install counter. Nothing about the caller (account, address, device) is stored.',
      params: PluginParams,
      responses: { 200: { description: 'The new count', schema: InstallCountSchema } },
    },
    ({ params }) => m.countInstall(params.id),
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/plugins/:id/reviews',
      tag: 'reviews',
      access: 'public',
      summary: 'Reviews of a plugin',
      params: PluginParams,
      query: PageQuerySchema,
      responses: { 200: { description: 'Visible reviews, most recently changed first', schema: ReviewListSchema } },
    },
    ({ params, query }) => m.reviews(params.id, query.page, query.size),
  );

  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/plugins/:id/reviews',
      tag: 'reviews',
      access: 'user',
      summary: 'Review a plugin (one review per user)',
      params: PluginParams,
      body: ReviewInputSchema,
      responses: { 201: { description: 'Review created', schema: ReviewSchema } },
    },
    async ({ params, body }, request, reply) => {
      reply.code(201);
      return m.addReview(request.principal, params.id, body);
    },
  );

  catalog.route(
    app,
    {
      method: 'PUT',
      url: '/api/v1/plugins/:id/reviews',
      tag: 'reviews',
      access: 'user',
      summary: 'Change your review',
      params: PluginParams,
      body: ReviewInputSchema,
      responses: { 200: { description: 'Review changed', schema: ReviewSchema } },
    },
    ({ params, body }, request) => m.updateReview(request.principal, params.id, body),
  );

  catalog.route(
    app,
    {
      method: 'DELETE',
      url: '/api/v1/plugins/:id/reviews',
      tag: 'reviews',
      access: 'user',
      summary: 'Delete your review',
      params: PluginParams,
      responses: { 204: { description: 'Review deleted' } },
    },
    async ({ params }, request, reply) => {
      await m.deleteReview(request.principal, params.id);
      return reply.code(204).send();
    },
  );

  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/plugins/:id/reports',
      tag: 'moderation',
      access: 'user',
      summary: 'Report a plugin, or one of its reviews (reviewId), to the moderators',
      params: PluginParams,
      body: ReportInputSchema,
      responses: { 201: { description: 'Report queued', schema: ReportSchema } },
    },
    async ({ params, body }, request, reply) => {
      reply.code(201);
      return m.report(request.principal, params.id, body);
    },
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/moderation/reports',
      tag: 'moderation',
      access: 'moderation.read',
      summary: 'The moderation queue',
      query: ReportListQuerySchema,
      responses: { 200: { description: 'Reports, oldest first', schema: ReportListSchema } },
    },
    ({ query, principal }) => m.reports(principal, query.state, query.page, query.size),
  );

  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/moderation/reports/:reportId/resolve',
      tag: 'moderation',
      access: 'moderation',
      summary: 'Resolve a report: dismiss, hide the review, or suspend the plugin',
      params: ReportParams,
      body: ReportResolutionSchema,
      responses: { 200: { description: 'The resolved report', schema: ReportSchema } },
    },
    ({ params, body, principal }) => m.resolveReport(principal, params.reportId, body),
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/moderation/plugins',
      tag: 'moderation',
      access: 'moderation.read',
      summary: 'Listings by state (default: pending review)',
      query: ListingQueueQuerySchema,
      responses: { 200: { description: 'Listings, oldest first', schema: ListingListSchema } },
    },
    ({ query, principal }) => m.listingsByState(principal, query.state, query.page, query.size),
  );

  catalog.route(
    app,
    {
      method: 'PUT',
      url: '/api/v1/moderation/plugins/:id/state',
      tag: 'moderation',
      access: 'moderation',
      summary: 'Approve, suspend or reinstate a listing',
      params: PluginParams,
      body: ListingStateChangeSchema,
      responses: { 200: { description: 'The listing in its new state', schema: PluginListingSchema } },
    },
    ({ params, body, principal }) => m.setListingState(principal, params.id, body.state),
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/search',
      tag: 'search',
      access: 'public',
      summary: 'Search published listings, with facet counts',
      description:
        'Words match by prefix; a word that matches nothing is corrected to the closest indexed words (1 edit for 4–5 letters, 2 beyond). Names weigh more than tags, tags more than descriptions; popularity breaks near-ties. Each facet counts the matches under every filter but its own.',
      query: SearchParamsSchema,
      responses: { 200: { description: 'One page of hits, the total and the facets', schema: SearchResultSchema } },
    },
    ({ query }) => m.search(query),
  );
}
