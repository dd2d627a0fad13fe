import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  HealthReportResultSchema,
  HealthReportSchema,
  PluginHealthSchema,
  ResolvedVersionSchema,
  ResolveQuerySchema,
  RolloutCreateSchema,
  RolloutListSchema,
  RolloutRaiseSchema,
  RolloutSchema,
  RolloutStateSchema,
  type HealthReportResult,
  type PluginHealth,
} from '@wharf/core';
import type { ApiCatalog } from '../docs/api-catalog.js';
import { installRateLimit, perMinute } from '../http.js';
import type { RolloutService } from './rollout-service.js';

const ListQuery = z.object({ plugin: z.string().min(1).optional(), state: z.optional(RolloutStateSchema) });
const PluginQuery = z.object({ plugin: z.string().min(1) });
const RollbackBody = z.object({ reason: z.string().max(500).optional() }).optional();
const IdParams = z.object({ id: z.string() });

export interface RolloutRoutesOptions {
  rollouts: RolloutService;
  /** Health report posts per client address per minute. */
  reportRateLimit: number;
  catalog: ApiCatalog;
}

/** Staged rollouts: operator actions, client resolution and the opt-in health reports. */
export async function rolloutRoutes(app: FastifyInstance, { rollouts, reportRateLimit, catalog }: RolloutRoutesOptions): Promise<void> {
  await installRateLimit(app, 'health reports from this address');
  const tag = 'rollouts';
  const one = { 200: { description: 'The rollout', schema: RolloutSchema } };

  catalog.route(
    app,
    { method: 'GET', url: '/api/v1/rollouts', tag, access: 'rollouts.read', summary: 'Rollouts, newest first', query: ListQuery, responses: { 200: { description: 'The rollouts', schema: RolloutListSchema } } },
    async ({ query }) => ({ rollouts: await rollouts.list(query) }),
  );
  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/rollouts',
      tag,
      access: 'rollouts.write',
      summary: 'Start a rollout',
      description:
        "Gives `version` to `percentage` of the channel's installs (by a stable hash of each install id) and the channel's current version to the others. Rolled back automatically when the new version's error rate exceeds the previous one's by more than `errorThreshold`.",
      body: RolloutCreateSchema,
      responses: { 201: { description: 'The rollout, active', schema: RolloutSchema } },
    },
    ({ body, principal }, _request, reply) => {
      reply.code(201);
      return rollouts.create(principal.name, body);
    },
  );
  catalog.route(app, { method: 'GET', url: '/api/v1/rollouts/:id', tag, access: 'rollouts.read', summary: 'A rollout', params: IdParams, responses: one }, ({ params }) => rollouts.get(params.id));
  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/rollouts/:id/raise',
      tag,
      access: 'rollouts.write',
      summary: 'Raise the percentage',
      description: 'Only up, only while active; 100 completes the rollout and moves the channel\'s dist-tag to the version.',
      params: IdParams,
      body: RolloutRaiseSchema,
      responses: one,
    },
    ({ params, body, principal }) => rollouts.raise(principal.name, params.id, body.percentage),
  );
  catalog.route(
    app,
    { method: 'POST', url: '/api/v1/rollouts/:id/halt', tag, access: 'rollouts.write', summary: 'Halt: nobody new gets the version', params: IdParams, responses: one },
    ({ params, principal }) => rollouts.halt(principal.name, params.id),
  );
  catalog.route(
    app,
    { method: 'POST', url: '/api/v1/rollouts/:id/resume', tag, access: 'rollouts.write', summary: 'Resume a halted rollout', params: IdParams, responses: one },
    ({ params, principal }) => rollouts.resume(principal.name, params.id),
  );
  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/rollouts/:id/rollback',
      tag,
      access: 'rollouts.write',
      summary: 'Roll back: everyone gets the previous version again',
      params: IdParams,
      body: RollbackBody,
      responses: one,
    },
    ({ params, body, principal }) => rollouts.rollback(principal.name, params.id, body?.reason ?? `by ${principal.name}`),
  );

  // Clients: no token needed, the install id is an opaque string the SDK generates.
  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/rollouts/resolve',
      tag,
      access: 'public',
      summary: 'The version an install gets on a channel',
      description: 'The install id is an opaque string the SDK generates; the same id always lands in the same bucket. Never cached.',
      query: ResolveQuerySchema,
      responses: { 200: { description: 'The version to install', schema: ResolvedVersionSchema } },
    },
    ({ query }, _request, reply) => {
      reply.header('cache-control', 'no-store');
      return rollouts.resolve(query.plugin, query.channel, query.installId);
    },
  );
  // Opt-in SDK reports: counts only. Anonymous by design, so a forged spike can at worst roll a rollout back (the safe direction).
  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/rollouts/reports',
      tag,
      access: 'public',
      summary: 'Send opt-in health counts',
      description: 'Activations and errors per plugin version, aggregated by the SDK; no install id, user or address. Rate-limited per client address.',
      body: HealthReportSchema,
      options: { config: perMinute(reportRateLimit) },
      responses: { 202: { description: 'How many version counts were taken; a rollout whose new version fails the comparison is rolled back at once', schema: HealthReportResultSchema }, 429: { description: 'Too many reports from this address' } },
    },
    async ({ body }, _request, reply): Promise<HealthReportResult> => {
      const result = await rollouts.report(body);
      reply.code(202);
      return { accepted: result.accepted };
    },
  );
  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/rollouts/health',
      tag,
      access: 'rollouts.read',
      summary: "Health counts of a plugin's versions",
      query: PluginQuery,
      responses: { 200: { description: 'Activations and errors per version', schema: PluginHealthSchema } },
    },
    ({ query }): Promise<PluginHealth> => rollouts.health(query.plugin),
  );
}
