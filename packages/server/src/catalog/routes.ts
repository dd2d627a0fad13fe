import type { FastifyInstance } from 'fastify';
import { CATALOG_KEY, METADATA_CACHE, tagResponse } from '../cdn/cache-policy.js';
import { sentNotModified } from '../http.js';
import type { CatalogService } from './catalog-service.js';

/** `/catalog.json`: the signed catalog, ETag/304, served gzip'd to clients that accept it. */
export async function catalogRoutes(app: FastifyInstance, { catalog }: { catalog: CatalogService }): Promise<void> {
  app.get('/catalog.json', async (request, reply) => {
    const served = await catalog.current();
    tagResponse(reply, [CATALOG_KEY]).header('vary', 'accept-encoding').header('content-type', 'application/json');
    if (sentNotModified(request, reply, served.etag, METADATA_CACHE)) return reply;
    if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(served.gzip);
    return reply.send(served.body);
  });
}
