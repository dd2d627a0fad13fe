import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';
import type { MetadataStore } from '../storage/metadata-store.js';

/** Liveness, readiness (the database answers) and Prometheus metrics. */
export async function opsRoutes(app: FastifyInstance, { store, metrics }: { store: MetadataStore; metrics: Metrics }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await store.ping();
      return { status: 'ready', database: store.dialect };
    } catch (err) {
      reply.code(503);
      return { error: `database unavailable: ${(err as Error).message}` };
    }
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
