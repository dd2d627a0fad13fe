import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseBody } from '../http.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
type Schema = z.ZodType;
type ObjectSchema = z.ZodObject<z.ZodRawShape>;

/** Who may call a route, as the OpenAPI document states it. */
export type Access = 'public' | 'user' | 'admin';

export interface RouteSpec<P extends ObjectSchema, Q extends ObjectSchema, B extends Schema> {
  method: Method;
  /** Fastify path syntax (`/api/v1/plugins/:id`). */
  url: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** Status → description and, when the response has a JSON body, its schema. */
  responses: Record<number, { description: string; schema?: Schema }>;
}

export interface RouteInput<P extends ObjectSchema, Q extends ObjectSchema, B extends Schema> {
  params: z.infer<P>;
  query: z.infer<Q>;
  body: z.infer<B>;
}

const Empty = z.object({});
const ErrorBody = z.object({ error: z.string() });

/**
 * The documented HTTP API: every route registered here is validated with its Zod schemas (a mismatch
 * is a 400) and appears in the OpenAPI 3.1 document, generated from the same schemas with
 * `z.toJSONSchema` — so the document cannot drift from what the handlers accept.
 */
export class ApiCatalog {
  private readonly specs: RouteSpec<ObjectSchema, ObjectSchema, Schema>[] = [];

  route<P extends ObjectSchema = typeof Empty, Q extends ObjectSchema = typeof Empty, B extends Schema = z.ZodUndefined>(
    app: FastifyInstance,
    spec: RouteSpec<P, Q, B>,
    handler: (input: RouteInput<P, Q, B>, request: FastifyRequest, reply: FastifyReply) => unknown,
  ): void {
    this.specs.push(spec as unknown as RouteSpec<ObjectSchema, ObjectSchema, Schema>);
    app.route({
      method: spec.method,
      url: spec.url,
      handler: async (request, reply) => {
        const input = {
          params: parseBody(spec.params ?? Empty, request.params, 'path parameter'),
          query: parseBody(spec.query ?? Empty, request.query, 'query parameter'),
          body: spec.body ? parseBody(spec.body, request.body) : undefined,
        } as RouteInput<P, Q, B>;
        return handler(input, request, reply);
      },
    });
  }

  /** The OpenAPI 3.1 document of every route registered so far. */
  openapi(info: { title: string; version: string; description?: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const spec of this.specs) {
      const path = spec.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const operation: Record<string, unknown> = {
        operationId: operationId(spec),
        summary: spec.summary,
        ...(spec.description ? { description: spec.description } : {}),
        tags: [spec.tag],
        parameters: [...parameters(spec.params, 'path'), ...parameters(spec.query, 'query')],
        responses: responses(spec),
      };
      if (spec.access !== 'public') operation.security = [{ bearer: [] }];
      if (spec.access === 'admin') operation['x-wharf-access'] = 'admin';
      if (spec.body) operation.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } } };
      (paths[path] ??= {})[spec.method.toLowerCase()] = operation;
    }
    return {
      openapi: '3.1.0',
      info,
      paths,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An npm token (`npm login`) or the admin token' } } },
    };
  }
}

function operationId(spec: RouteSpec<ObjectSchema, ObjectSchema, Schema>): string {
  const words = spec.url.replace(/^\/api\/v1\//, '').split(/[/:-]+/).filter(Boolean);
  return [spec.method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

function parameters(schema: ObjectSchema | undefined, where: 'path' | 'query'): Record<string, unknown>[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const s = field as Schema;
    const optional = where === 'query' && s.safeParse(undefined).success;
    return { name, in: where, required: !optional, schema: jsonSchema(s, 'input'), ...(s.description ? { description: s.description } : {}) };
  });
}

function responses(spec: RouteSpec<ObjectSchema, ObjectSchema, Schema>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    out[status] = { description: r.description, ...(r.schema ? { content: { 'application/json': { schema: jsonSchema(r.schema, 'output') } } } : {}) };
  }
  out['4XX'] = { description: 'Invalid input, missing authentication or permission, unknown resource', content: { 'application/json': { schema: jsonSchema(ErrorBody, 'output') } } };
  return out;
}

/** JSON Schema 2020-12 (the dialect of OpenAPI 3.1); coercions and defaults describe what clients send. */
function jsonSchema(schema: Schema, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}
