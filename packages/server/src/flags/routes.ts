import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { flagStatus, FlagPatchSchema } from '@wharf/core';
import { authorize } from '../access/permissions.js';
import { ifNoneMatchHits, parseBody } from '../http.js';
import type { FlagService, FlagSnapshot } from './flag-service.js';

const KeyParams = z.object({ key: z.string().min(1).max(255) });

/**
 * Control plane: the flag set in Unleash's client-features format, plus each flag's Wharf state.
 * Clients: the served set at Unleash's own path, so Unleash SDKs and Wharf's local evaluator can use it.
 */
export async function flagRoutes(app: FastifyInstance, { flags }: { flags: FlagService }): Promise<void> {
  app.get('/api/v1/flags', async (request, reply) => {
    authorize(request.principal, 'flags.read');
    const snap = await flags.snapshot();
    return conditional(request, reply, snap, 'private, no-cache', () => adminView(snap));
  });

  app.put('/api/v1/flags', async (request) => {
    const principal = authorize(request.principal, 'flags.write');
    const ifMatch = request.headers['if-match'];
    const snap = await flags.replace(request.body, principal.name, typeof ifMatch === 'string' ? ifMatch : undefined);
    return adminView(snap);
  });

  app.patch('/api/v1/flags/:key', async (request) => {
    const principal = authorize(request.principal, 'flags.write');
    const { key } = parseBody(KeyParams, request.params, 'flag key');
    const patch = parseBody(FlagPatchSchema, request.body);
    const { snapshot, feature, status } = await flags.patch(key, patch, principal.name);
    return { key, ...status, version: snapshot.revision, feature };
  });

  // Public like the OFREP endpoints: a client SDK evaluating locally needs the whole served set.
  app.get('/api/client/features', async (request, reply) => {
    const snap = await flags.snapshot();
    return conditional(request, reply, snap, 'public, max-age=0, must-revalidate', () => snap.served);
  });
}

function adminView(snap: FlagSnapshot) {
  const states = Object.fromEntries(snap.definition.features.map((f) => [f.name, flagStatus(f, snap.forcedOff.has(f.name))]));
  return { ...snap.definition, updatedAt: snap.updatedAt, states };
}

function conditional(request: FastifyRequest, reply: FastifyReply, snap: FlagSnapshot, cache: string, body: () => unknown) {
  reply.header('etag', snap.etag).header('cache-control', cache);
  if (ifNoneMatchHits(request, snap.etag)) return reply.code(304).send();
  return body();
}
