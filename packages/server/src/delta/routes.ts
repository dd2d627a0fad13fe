import type { FastifyInstance } from 'fastify';
import { IMMUTABLE_CACHE, packageKey, tagResponse } from '../cdn/cache-policy.js';
import { badRequest, notFound } from '../errors.js';
import { packageRoute, sentNotModified } from '../http.js';
import type { DeltaService } from './delta-service.js';

/**
 * `GET /-/deltas/<name>/<from>..<to>`: a delta's bytes, immutable like a tarball (a pair is built once),
 * so any CDN or mirror can serve it; clients verify it against the signed metadata of `<to>`. Under
 * npm's reserved `/-/` like the registry's other endpoints: `/deltas/…` would shadow the tarballs of
 * a package named "deltas" (`/deltas/-/deltas-1.0.0.tgz`).
 */
export async function deltaRoutes(app: FastifyInstance, { deltas }: { deltas: DeltaService }): Promise<void> {
  packageRoute(app, 'GET', '/-/deltas', '/:pair', async (name, request, reply) => {
    const pair = (request.params as { pair: string }).pair;
    const m = /^([^/]+)\.\.([^/]+)$/.exec(pair);
    if (!m) throw badRequest(`"${pair}" is not <from>..<to>`);
    const found = await deltas.bytes(name, m[1]!, m[2]!);
    if (!found) throw notFound(`no delta of ${name} from ${m[1]} to ${m[2]}: download the full package`);
    tagResponse(reply, [packageKey(name)]).header('content-type', 'application/octet-stream');
    if (sentNotModified(request, reply, `"sha256-${found.row.sha256}"`, IMMUTABLE_CACHE)) return reply;
    reply.header('content-length', found.bytes.length);
    return reply.send(found.bytes);
  });
}
