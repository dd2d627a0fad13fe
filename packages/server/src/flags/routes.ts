import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ClientFeaturesSchema, flagStatus, FlagKeySchema, FlagPatchResultSchema, FlagPatchSchema, type FlagPatchResult } from '@wharf/core';
import type { ApiCatalog } from '../docs/api-catalog.js';
import { sentNotModified } from '../http.js';
import type { FlagService, FlagSnapshot } from './flag-service.js';

const KeyParams = z.object({ key: FlagKeySchema });

export interface FlagRoutesOptions {
  flags: FlagService;
  catalog: ApiCatalog;
}

/**
 * Control plane: the flag set in Unleash's client-features format, plus each flag's Wharf state.
 * Clients: the served set at Unleash's own path, so Unleash SDKs and Wharf's local evaluator can use it.
 */
export async function flagRoutes(app: FastifyInstance, { flags, catalog }: FlagRoutesOptions): Promise<void> {
  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/flags',
      tag: 'flags',
      access: 'flags.read',
      summary: 'The flag set as written',
      description:
        'Unleash client-features format as operators wrote it (kill switches not applied), plus `updatedAt` and `states`: each flag\'s Wharf state (ON, OFF, ROLLOUT with its percentage, FORCE_OFF, or CUSTOM). Revalidate with If-None-Match; send the ETag as If-Match to PUT.',
      responses: { 200: { description: 'The flag set', schema: ClientFeaturesSchema }, 304: { description: 'Unchanged since the ETag sent' } },
    },
    async (_input, request, reply) => {
      const snap = await flags.snapshot();
      return conditional(request, reply, snap, 'private, no-cache', () => adminView(snap));
    },
  );

  catalog.route(
    app,
    {
      method: 'PUT',
      url: '/api/v1/flags',
      tag: 'flags',
      access: 'flags.write',
      summary: 'Replace the whole flag set',
      description:
        'Unleash client-features format; `version` is ignored (the new revision is the version). Flag keys must be URL-friendly: 1 to 100 letters, digits, `-`, `_`, `.` or `:`. Kill switches stay on for flags still in the set. With If-Match, a set changed since that ETag is refused with 412.',
      body: ClientFeaturesSchema,
      bodyName: 'flag set',
      responses: { 200: { description: 'The stored set, as GET answers it', schema: ClientFeaturesSchema }, 412: { description: 'The set changed since the If-Match ETag' } },
    },
    async ({ principal }, request) => {
      const ifMatch = request.headers['if-match'];
      // The service validates the set itself (shape, then what SDKs would tolerate); it takes the body as sent.
      const snap = await flags.replace(request.body, principal.name, typeof ifMatch === 'string' ? ifMatch : undefined);
      return adminView(snap);
    },
  );

  catalog.route(
    app,
    {
      method: 'PATCH',
      url: '/api/v1/flags/:key',
      tag: 'flags',
      access: 'flags.write',
      summary: "Set one flag's state, percentage or variants",
      description:
        'A `state` creates the flag when it does not exist; ROLLOUT needs a `percentage` unless the flag already rolls out.',
      params: KeyParams,
      body: FlagPatchSchema,
      responses: { 200: { description: "The flag's new state and definition", schema: FlagPatchResultSchema }, 404: { description: 'The flag does not exist and no state was given' } },
    },
    async ({ params: { key }, body, principal }): Promise<FlagPatchResult> => {
      const { snapshot, feature, status } = await flags.patch(key, body, principal.name);
      return { key, ...status, version: snapshot.revision, feature };
    },
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/client/features',
      tag: 'flags',
      access: 'public',
      summary: 'The served flag set (Unleash client API)',
      description:
        "Unleash's own path and format, so Unleash SDKs and Wharf's local evaluator read it directly; force-off flags are served disabled. Public like the OFREP endpoints: a client evaluating locally needs the whole set. Revalidate with If-None-Match.",
      responses: { 200: { description: 'The served set', schema: ClientFeaturesSchema }, 304: { description: 'Unchanged since the ETag sent' } },
    },
    async (_input, request, reply) => {
      const snap = await flags.snapshot();
      return conditional(request, reply, snap, 'public, max-age=0, must-revalidate', () => snap.served);
    },
  );
}

function adminView(snap: FlagSnapshot) {
  const states = Object.fromEntries(snap.definition.features.map((f) => [f.name, flagStatus(f, snap.forcedOff.has(f.name))]));
  return { ...snap.definition, updatedAt: snap.updatedAt, states };
}

function conditional(request: FastifyRequest, reply: FastifyReply, snap: FlagSnapshot, cache: string, body: () => unknown) {
  return sentNotModified(request, reply, snap.etag, cache) ? reply : body();
}
