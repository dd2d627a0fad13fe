import type { FastifyInstance, FastifyReply } from 'fastify';
import { evaluateAll, OfrepRequestSchema, ofrepResult, ofrepToUnleashContext, type UnleashContext } from '@wharf/core';
import type { z } from 'zod';
import { digest, type FlagService } from './flag-service.js';
import { ifNoneMatchHits } from '../http.js';

/**
 * OpenFeature Remote Evaluation Protocol (OFREP): single and bulk evaluation of the served flag set.
 * Errors use OFREP's own shapes ({ key?, errorCode, errorDetails }) rather than Wharf's { error }.
 */
export async function ofrepRoutes(app: FastifyInstance, { flags }: { flags: FlagService }): Promise<void> {
  app.post<{ Params: { key: string } }>('/ofrep/v1/evaluate/flags/:key', async (request, reply) => {
    const { key } = request.params;
    const context = readContext(request.body, reply, key);
    if (!context) return reply;
    const snap = await flags.snapshot();
    const evaluation = snap.evaluator.evaluate(key, context);
    if (!evaluation) return reply.code(404).send({ key, errorCode: 'FLAG_NOT_FOUND', errorDetails: `flag ${key} does not exist` });
    return ofrepResult(key, evaluation, { version: snap.revision });
  });

  app.post('/ofrep/v1/evaluate/flags', async (request, reply) => {
    const context = readContext(request.body, reply);
    if (!context) return reply;
    const snap = await flags.snapshot();
    // The answer depends on the revision and the context; on the clock too when a flag uses dates,
    // and then no ETag is given, since a 304 could hide a change that time alone made.
    if (!snap.evaluator.timeDependent) {
      const etag = `"${snap.revision}-${digest(JSON.stringify(context))}"`;
      reply.header('etag', etag);
      if (ifNoneMatchHits(request, etag)) return reply.code(304).send();
    }
    return { flags: evaluateAll(snap.evaluator, context, { version: snap.revision }) };
  });
}

/** The Unleash context of an OFREP body, or null after answering 400 INVALID_CONTEXT. */
function readContext(body: unknown, reply: FastifyReply, key?: string): UnleashContext | null {
  const parsed = OfrepRequestSchema.safeParse(body ?? {});
  if (parsed.success) return ofrepToUnleashContext(parsed.data.context);
  void reply.code(400).send({ ...(key === undefined ? {} : { key }), errorCode: 'INVALID_CONTEXT', errorDetails: describe(parsed.error) });
  return null;
}

function describe(error: z.core.$ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
}
