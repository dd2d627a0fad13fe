import type { FastifyInstance } from 'fastify';
import { evaluateGate, ReleaseGateSchema, ReleasePolicySchema } from '@wharf/core';
import type { ApiCatalog } from '../docs/api-catalog.js';
import { badRequest } from '../errors.js';
import type { ReleaseService } from './release-service.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';

export interface ReleaseRoutesOptions {
  release: ReleaseService;
  snapshots: SnapshotService;
  catalog: ApiCatalog;
}

/**
 * `GET /meta/release`: the version gate (see `evaluateGate` in @wharf/core for what each mode
 * answers: 200, 426 below minSupported under HARD_BLOCK, 503 under MAINTENANCE). Never cached:
 * the answer depends on the request header and on a policy that may change at any moment.
 */
export async function releaseRoutes(app: FastifyInstance, { release, snapshots, catalog }: ReleaseRoutesOptions): Promise<void> {
  catalog.route(
    app,
    {
      method: 'GET',
      url: '/meta/release',
      tag: 'release',
      access: 'public',
      summary: 'The version gate',
      description:
        'Clients send their version in the `X-Client-Version` header (required, SemVer). SOFT_BLOCK always answers 200 (`requiresUpdate` says whether to prompt); HARD_BLOCK answers 426 to a client below `minSupported`; MAINTENANCE answers 503 to every client, with Retry-After when the policy sets it. Never cached.',
      responses: {
        200: { description: 'The client may run', schema: ReleaseGateSchema },
        426: { description: 'HARD_BLOCK: the client is below minSupported and must update', schema: ReleaseGateSchema },
        503: { description: 'MAINTENANCE: every client waits', schema: ReleaseGateSchema },
      },
    },
    async (_input, request, reply) => {
      const header = request.headers['x-client-version'];
      const [policy, published] = await Promise.all([release.policy(), snapshots.published()]);
      const decision = evaluateGate(policy, Array.isArray(header) ? header[0] : header, published?.version ?? null);
      if (decision.status === 400) throw badRequest(decision.error);
      reply.code(decision.status).header('cache-control', 'no-store').header('vary', 'X-Client-Version');
      if (decision.retryAfterSeconds !== null) reply.header('retry-after', String(decision.retryAfterSeconds));
      return decision.body;
    },
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/release',
      tag: 'release',
      access: 'release.read',
      summary: "The version gate's policy",
      responses: { 200: { description: 'The policy', schema: ReleasePolicySchema } },
    },
    () => release.policy(),
  );

  catalog.route(
    app,
    {
      method: 'PUT',
      url: '/api/v1/release',
      tag: 'release',
      access: 'release.set',
      summary: "Set the version gate's policy",
      description: 'Takes effect at once for every client and is audited.',
      body: ReleasePolicySchema,
      responses: { 200: { description: 'The stored policy', schema: ReleasePolicySchema } },
    },
    ({ body, principal }) => release.setPolicy(principal.name, body),
  );
}
