import type { FastifyInstance } from 'fastify';
import { evaluateGate, ReleasePolicySchema } from '@wharf/core';
import { authorize } from '../access/permissions.js';
import { parseBody } from '../http.js';
import { badRequest } from '../errors.js';
import type { ReleaseService } from './release-service.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';

/**
 * `GET /meta/release`: the version gate (see `evaluateGate` in @wharf/core for what each mode
 * answers: 200, 426 below minSupported under HARD_BLOCK, 503 under MAINTENANCE). Never cached:
 * the answer depends on the request header and on a policy that may change at any moment.
 */
export async function releaseRoutes(app: FastifyInstance, { release, snapshots }: { release: ReleaseService; snapshots: SnapshotService }): Promise<void> {
  app.get('/meta/release', async (request, reply) => {
    const header = request.headers['x-client-version'];
    const [policy, published] = await Promise.all([release.policy(), snapshots.published()]);
    const decision = evaluateGate(policy, Array.isArray(header) ? header[0] : header, published?.version ?? null);
    if (decision.status === 400) throw badRequest(decision.error);
    reply.code(decision.status).header('cache-control', 'no-store').header('vary', 'X-Client-Version');
    if (decision.retryAfterSeconds !== null) reply.header('retry-after', String(decision.retryAfterSeconds));
    return decision.body;
  });

  app.get('/api/v1/release', async (request) => {
    authorize(request.principal, 'release.read');
    return release.policy();
  });

  app.put('/api/v1/release', async (request) => {
    const p = authorize(request.principal, 'release.set');
    return release.setPolicy(p.name, parseBody(ReleasePolicySchema, request.body));
  });
}
