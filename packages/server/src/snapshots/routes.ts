import type { FastifyInstance } from 'fastify';
import { SnapshotDraftSchema, SnapshotRollbackSchema, SnapshotSchemaBodySchema } from '@wharf/core';
import { authorize } from '../access/permissions.js';
import { ifNoneMatchHits, parseBody } from '../http.js';
import { notFound } from '../errors.js';
import type { SnapshotService } from './snapshot-service.js';

/** Config snapshots: working copies for admins, publish/rollback for release managers, the published version for everyone. */
export async function snapshotRoutes(app: FastifyInstance, { snapshots }: { snapshots: SnapshotService }): Promise<void> {
  app.get('/api/v1/snapshots/schema', async (request) => {
    authorize(request.principal, 'snapshots.read-draft');
    const schema = await snapshots.schema();
    if (!schema) throw notFound('no config schema is registered');
    return { schema };
  });
  app.put('/api/v1/snapshots/schema', async (request) => {
    const p = authorize(request.principal, 'snapshots.schema');
    const { schema } = parseBody(SnapshotSchemaBodySchema, request.body);
    await snapshots.setSchema(p.name, schema);
    return { schema };
  });

  app.post('/api/v1/snapshots/draft', async (request) => {
    const p = authorize(request.principal, 'snapshots.draft');
    return snapshots.saveDraft(p.name, parseBody(SnapshotDraftSchema, request.body).document);
  });
  app.get('/api/v1/snapshots/draft', async (request) => {
    authorize(request.principal, 'snapshots.read-draft');
    return snapshots.stage('draft');
  });
  app.post('/api/v1/snapshots/preview', async (request) => {
    const p = authorize(request.principal, 'snapshots.draft');
    return snapshots.preview(p.name);
  });
  app.get('/api/v1/snapshots/preview', async (request) => {
    authorize(request.principal, 'snapshots.read-draft');
    return snapshots.stage('preview');
  });

  app.post('/api/v1/snapshots/publish', async (request, reply) => {
    const p = authorize(request.principal, 'snapshots.publish');
    reply.code(201);
    return snapshots.publish(p.name);
  });
  app.post('/api/v1/snapshots/rollback', async (request, reply) => {
    const p = authorize(request.principal, 'snapshots.publish');
    const { version } = parseBody(SnapshotRollbackSchema, request.body);
    reply.code(201);
    return snapshots.rollback(p.name, version);
  });

  app.get('/api/v1/snapshots/history', async (request) => {
    authorize(request.principal, 'snapshots.history');
    return snapshots.history();
  });
  app.get<{ Params: { version: string } }>('/api/v1/snapshots/versions/:version', async (request) => {
    authorize(request.principal, 'snapshots.history');
    const version = Number(request.params.version);
    if (!Number.isInteger(version) || version < 1) throw notFound(`published version ${request.params.version} does not exist`);
    return snapshots.version(version);
  });

  // Public: what clients run. The ETag names version and content hash; clients revalidate with If-None-Match.
  app.get('/api/v1/snapshots/published', async (request, reply) => {
    const published = await snapshots.published();
    if (!published) throw notFound('nothing has been published yet');
    const etag = `"${published.version}-${published.contentHash}"`;
    reply.header('etag', etag).header('cache-control', 'public, max-age=0, must-revalidate');
    if (ifNoneMatchHits(request, etag)) return reply.code(304).send();
    return published;
  });
}
