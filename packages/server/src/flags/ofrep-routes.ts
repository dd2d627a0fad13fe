import type { FastifyInstance, FastifyReply } from 'fastify';
import { evaluateAll, OfrepBulkSchema, OfrepRequestSchema, ofrepResult, OfrepSuccessSchema, ofrepToUnleashContext, type OfrepBulk, type OfrepSuccess } from '@wharf/core';
import { z } from 'zod';
import type { ApiCatalog } from '../docs/api-catalog.js';
import { digest, type FlagService } from './flag-service.js';
import { sentNotModified } from '../http.js';

export interface OfrepRoutesOptions {
  flags: FlagService;
  catalog: ApiCatalog;
}

/** OFREP's error body, which its clients read instead of Wharf's `{ error }`. */
const OfrepErrorSchema = z.object({ key: z.string().optional(), errorCode: z.string(), errorDetails: z.string().optional() });
/** OFREP lets a client send no body at all: an empty context. */
const Body = z.optional(OfrepRequestSchema);

/**
 * OpenFeature Remote Evaluation Protocol (OFREP): single and bulk evaluation of the served flag set.
 * Errors use OFREP's own shapes ({ key?, errorCode, errorDetails }) rather than Wharf's { error }.
 */
export async function ofrepRoutes(app: FastifyInstance, { flags, catalog }: OfrepRoutesOptions): Promise<void> {
  catalog.route(
    app,
    {
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags/:key',
      tag: 'ofrep',
      access: 'public',
      summary: 'Evaluate one flag (OFREP)',
      description:
        'OpenFeature Remote Evaluation Protocol. The context maps onto Unleash\'s: userId (else targetingKey), sessionId, remoteAddress, environment, appName and currentTime keep their names; every other attribute is a property; `metadata.version` is the revision of the flag set.',
      params: z.object({ key: z.string() }),
      body: Body,
      responses: { 200: { description: 'The evaluation', schema: OfrepSuccessSchema }, 404: { description: 'FLAG_NOT_FOUND', schema: OfrepErrorSchema } },
      invalid: { schema: OfrepErrorSchema, reply: (issue, request, reply) => invalidContext(reply, issue, (request.params as { key: string }).key) },
    },
    async ({ params: { key }, body }, _request, reply): Promise<OfrepSuccess | FastifyReply> => {
      const snap = await flags.snapshot();
      const evaluation = snap.evaluator.evaluate(key, ofrepToUnleashContext(body?.context));
      if (!evaluation) return reply.code(404).send({ key, errorCode: 'FLAG_NOT_FOUND', errorDetails: `flag ${key} does not exist` });
      return ofrepResult(key, evaluation, { version: snap.revision });
    },
  );

  catalog.route(
    app,
    {
      method: 'POST',
      url: '/ofrep/v1/evaluate/flags',
      tag: 'ofrep',
      access: 'public',
      summary: 'Evaluate every flag (OFREP bulk)',
      description:
        'Every flag of the served set against one context, as `{ flags: [...] }`. The ETag names the revision and the context; none is given when a flag depends on the date, since time alone can change the answer.',
      body: Body,
      responses: { 200: { description: 'The evaluations', schema: OfrepBulkSchema }, 304: { description: 'Unchanged since the ETag sent' } },
      invalid: { schema: OfrepErrorSchema, reply: (issue, _request, reply) => invalidContext(reply, issue) },
    },
    async ({ body }, request, reply): Promise<OfrepBulk | FastifyReply> => {
      const context = ofrepToUnleashContext(body?.context);
      const snap = await flags.snapshot();
      // The answer depends on the revision and the context; on the clock too when a flag uses dates,
      // and then no ETag is given, since a 304 could hide a change that time alone made.
      if (!snap.evaluator.timeDependent) {
        const etag = `"${snap.revision}-${digest(JSON.stringify(context))}"`;
        if (sentNotModified(request, reply, etag)) return reply;
      }
      return { flags: evaluateAll(snap.evaluator, context, { version: snap.revision }) };
    },
  );
}

function invalidContext(reply: FastifyReply, issue: z.core.$ZodIssue, key?: string): FastifyReply {
  const errorDetails = `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
  return reply.code(400).send({ ...(key === undefined ? {} : { key }), errorCode: 'INVALID_CONTEXT', errorDetails });
}
