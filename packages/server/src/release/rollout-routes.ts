import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { HealthReportSchema, ResolveQuerySchema, RolloutCreateSchema, RolloutRaiseSchema, RolloutStateSchema } from '@wharf/core';
import { authorize } from '../access/permissions.js';
import { installRateLimit, parseBody, perMinute } from '../http.js';
import type { RolloutService } from './rollout-service.js';

const ListQuery = z.object({ plugin: z.string().min(1).optional(), state: z.optional(RolloutStateSchema) });
const PluginQuery = z.object({ plugin: z.string().min(1) });
const RollbackBody = z.object({ reason: z.string().max(500).optional() }).optional();

type IdParams = { Params: { id: string } };

export interface RolloutRoutesOptions {
  rollouts: RolloutService;
  /** Health report posts per client address per minute. */
  reportRateLimit: number;
}

/** Staged rollouts: operator actions, client resolution and the opt-in health reports. */
export async function rolloutRoutes(app: FastifyInstance, { rollouts, reportRateLimit }: RolloutRoutesOptions): Promise<void> {
  await installRateLimit(app, 'health reports from this address');
  app.get('/api/v1/rollouts', async (request) => {
    authorize(request.principal, 'rollouts.read');
    return { rollouts: await rollouts.list(parseBody(ListQuery, request.query, 'query')) };
  });
  app.post('/api/v1/rollouts', async (request, reply) => {
    const p = authorize(request.principal, 'rollouts.write');
    reply.code(201);
    return rollouts.create(p.name, parseBody(RolloutCreateSchema, request.body));
  });
  app.get<IdParams>('/api/v1/rollouts/:id', async (request) => {
    authorize(request.principal, 'rollouts.read');
    return rollouts.get(request.params.id);
  });
  app.post<IdParams>('/api/v1/rollouts/:id/raise', async (request) => {
    const p = authorize(request.principal, 'rollouts.write');
    return rollouts.raise(p.name, request.params.id, parseBody(RolloutRaiseSchema, request.body).percentage);
  });
  app.post<IdParams>('/api/v1/rollouts/:id/halt', async (request) => {
    const p = authorize(request.principal, 'rollouts.write');
    return rollouts.halt(p.name, request.params.id);
  });
  app.post<IdParams>('/api/v1/rollouts/:id/resume', async (request) => {
    const p = authorize(request.principal, 'rollouts.write');
    return rollouts.resume(p.name, request.params.id);
  });
  app.post<IdParams>('/api/v1/rollouts/:id/rollback', async (request) => {
    const p = authorize(request.principal, 'rollouts.write');
    const body = parseBody(RollbackBody, request.body);
    return rollouts.rollback(p.name, request.params.id, body?.reason ?? `by ${p.name}`);
  });

  // Clients: no token needed, the install id is an opaque string the SDK generates.
  app.get('/api/v1/rollouts/resolve', async (request, reply) => {
    const q = parseBody(ResolveQuerySchema, request.query, 'query');
    reply.header('cache-control', 'no-store');
    return rollouts.resolve(q.plugin, q.channel, q.installId);
  });
  // Opt-in SDK reports: counts only. Anonymous by design, so a forged spike can at worst roll a rollout back (the safe direction).
  app.post('/api/v1/rollouts/reports', { config: perMinute(reportRateLimit) }, async (request, reply) => {
    const result = await rollouts.report(parseBody(HealthReportSchema, request.body));
    reply.code(202);
    return { accepted: result.accepted };
  });
  app.get('/api/v1/rollouts/health', async (request) => {
    authorize(request.principal, 'rollouts.read');
    return rollouts.health(parseBody(PluginQuery, request.query, 'query').plugin);
  });
}
