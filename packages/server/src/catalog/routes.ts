import type { FastifyInstance } from 'fastify';
import { CATALOG_KEY, METADATA_CACHE, tagResponse } from '../cdn/cache-policy.js';
import { ifNoneMatchHits } from '../http.js';
import type { CatalogService } from './catalog-service.js';

/** `/catalog.json`: the signed catalog, ETag/304, served gzip'd to clients that accept it. */
export async function catalogRoutes(app: FastifyInstance, { catalog }: { catalog: CatalogService }): Promise<void> {
  app.get('/catalog.json', async (request, reply) => {
    const served = await catalog.current();
    tagResponse(reply, [CATALOG_KEY]).header('etag', served.etag).header('cache-control', METADATA_CACHE).header('vary', 'accept-encoding').header('content-type', 'application/json');
    if (ifNoneMatchHits(request, served.etag)) return reply.code(304).send();
    if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(served.gzip);
    return reply.send(served.body);
  });
}
