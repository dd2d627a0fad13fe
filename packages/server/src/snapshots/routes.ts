import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PublishedSnapshotSchema, SnapshotDraftSchema, SnapshotHistorySchema, SnapshotPreviewSchema, SnapshotRollbackSchema, SnapshotSchemaBodySchema, SnapshotStageSchema } from '@wharf/core';
import type { ApiCatalog } from '../docs/api-catalog.js';
import { sentNotModified } from '../http.js';
import { notFound } from '../errors.js';
import type { SnapshotService } from './snapshot-service.js';

/** Config snapshots: working copies for admins, publish/rollback for release managers, the published version for everyone. */
export async function snapshotRoutes(app: FastifyInstance, { snapshots, catalog }: { snapshots: SnapshotService; catalog: ApiCatalog }): Promise<void> {
  const tag = 'snapshots';
  const stage = (which: string) => ({ 200: { description: `The ${which}`, schema: SnapshotStageSchema } });
  const published = { 201: { description: 'The new published version', schema: PublishedSnapshotSchema } };

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/snapshots/schema',
      tag,
      access: 'snapshots.read-draft',
      summary: 'The JSON Schema drafts must satisfy',
      responses: { 200: { description: 'The schema', schema: SnapshotSchemaBodySchema }, 404: { description: 'No schema is registered' } },
    },
    async () => {
      const schema = await snapshots.schema();
      if (!schema) throw notFound('no config schema is registered');
      return { schema };
    },
  );
  catalog.route(
    app,
    {
      method: 'PUT',
      url: '/api/v1/snapshots/schema',
      tag,
      access: 'snapshots.schema',
      summary: 'Register the JSON Schema drafts must satisfy',
      body: SnapshotSchemaBodySchema,
      responses: { 200: { description: 'The schema stored', schema: SnapshotSchemaBodySchema } },
    },
    async ({ body: { schema }, principal }) => {
      await snapshots.setSchema(principal.name, schema);
      return { schema };
    },
  );

  catalog.route(
    app,
    { method: 'POST', url: '/api/v1/snapshots/draft', tag, access: 'snapshots.draft', summary: 'Save the draft', description: 'Validated against the registered schema, if any.', body: SnapshotDraftSchema, responses: stage('draft') },
    ({ body, principal }) => snapshots.saveDraft(principal.name, body.document),
  );
  catalog.route(app, { method: 'GET', url: '/api/v1/snapshots/draft', tag, access: 'snapshots.read-draft', summary: 'The draft', responses: stage('draft') }, () => snapshots.stage('draft'));
  catalog.route(
    app,
    { method: 'POST', url: '/api/v1/snapshots/preview', tag, access: 'snapshots.draft', summary: 'Promote the draft to preview', description: 'The preview is what the next publish makes public.', responses: stage('preview') },
    ({ principal }) => snapshots.preview(principal.name),
  );
  catalog.route(app, { method: 'GET', url: '/api/v1/snapshots/preview', tag, access: 'snapshots.read-draft', summary: 'The preview', responses: stage('preview') }, () => snapshots.stage('preview'));

  catalog.route(
    app,
    { method: 'POST', url: '/api/v1/snapshots/publish', tag, access: 'snapshots.publish', summary: 'Publish the preview as a new version', responses: published },
    ({ principal }, _request, reply) => {
      reply.code(201);
      return snapshots.publish(principal.name);
    },
  );
  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/snapshots/rollback',
      tag,
      access: 'snapshots.publish',
      summary: 'Republish an earlier version',
      description: 'Writes a new version with the old document (`rollbackOf` names it): published versions are never changed.',
      body: SnapshotRollbackSchema,
      responses: published,
    },
    ({ body, principal }, _request, reply) => {
      reply.code(201);
      return snapshots.rollback(principal.name, body.version);
    },
  );

  catalog.route(
    app,
    { method: 'GET', url: '/api/v1/snapshots/history', tag, access: 'snapshots.history', summary: 'Published versions, without their documents', responses: { 200: { description: 'The history', schema: SnapshotHistorySchema } } },
    () => snapshots.history(),
  );
  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/snapshots/versions/:version',
      tag,
      access: 'snapshots.history',
      summary: 'One published version',
      params: z.object({ version: z.string() }),
      responses: { 200: { description: 'The version', schema: PublishedSnapshotSchema } },
    },
    ({ params }) => {
      const version = Number(params.version);
      if (!Number.isInteger(version) || version < 1) throw notFound(`published version ${params.version} does not exist`);
      return snapshots.version(version);
    },
  );

  // The preview link: QA points a test host app's config URL at it; it dies with the next promotion.
  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/snapshots/preview/:key',
      tag,
      access: 'public',
      summary: 'The preview, for whoever holds its link',
      description: 'The key is made anew at each promotion of the draft; an old or wrong key answers 404.',
      params: z.object({ key: z.string().min(20).max(100) }),
      options: { config: { secretParams: ['key'] } },
      responses: { 200: { description: 'The preview', schema: SnapshotPreviewSchema }, 404: { description: 'No preview has this link (any more)' } },
    },
    async ({ params }, _request, reply) => {
      const preview = await snapshots.previewByKey(params.key);
      if (!preview) throw notFound('no preview has this link (any more): ask for the current one');
      reply.header('cache-control', 'private, no-store');
      return preview;
    },
  );

  // Public: what clients run. The ETag names version and content hash; clients revalidate with If-None-Match.
  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/snapshots/published',
      tag,
      access: 'public',
      summary: 'The published config (what clients run)',
      description: 'The ETag names version and content hash; revalidate with If-None-Match.',
      responses: {
        200: { description: 'The current version', schema: PublishedSnapshotSchema },
        304: { description: 'Unchanged since the ETag sent' },
        404: { description: 'Nothing has been published yet' },
      },
    },
    async (_input, request, reply) => {
      const current = await snapshots.published();
      if (!current) throw notFound('nothing has been published yet');
      const etag = `"${current.version}-${current.contentHash}"`;
      if (sentNotModified(request, reply, etag, 'public, max-age=0, must-revalidate')) return reply;
      return current;
    },
  );
}
