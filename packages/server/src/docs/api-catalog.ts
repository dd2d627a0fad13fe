import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { z } from 'zod';
import { authorize, PERMISSIONS, type Permission } from '../access/permissions.js';
import { requireActor, type Principal } from '../access/principal.js';
import { parseBody } from '../http.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** Core schemas are written with `zod` or `zod/mini`: both are core types. */
type Schema = z.core.$ZodType;
type ObjectSchema = z.core.$ZodObject;

/**
 * Who may call a route, as the OpenAPI document states it. A permission is also enforced here,
 * before any input is read, so that an anonymous caller gets 401 whatever it sent; a `user` route
 * that writes refuses read-only tokens here too. Admin-only
 * routes name their permission too, so the document lists the roles that hold it.
 */
export type Access = 'public' | 'user' | Permission;

export interface RouteSpec<P extends ObjectSchema, Q extends ObjectSchema, B extends Schema, A extends Access = Access> {
  method: Method;
  /** Fastify path syntax (`/api/v1/plugins/:id`). */
  url: string;
  summary: string;
  description?: string;
  tag: string;
  access: A;
  params?: P;
  query?: Q;
  /** A body schema that accepts `undefined` makes the body optional. */
  body?: B;
  /** How a bad body is named in the 400 (`invalid <bodyName> at …`). */
  bodyName?: string;
  /** Status → description and, when the response has a JSON body, its schema. */
  responses: Record<number, { description: string; schema?: Schema }>;
  /** Fastify route options the handler relies on (body limit, rate limit config, body pre-parsing). */
  options?: Pick<RouteShorthandOptions, 'bodyLimit' | 'config' | 'preParsing'>;
  /**
   * For a protocol with its own error bodies (OFREP): invalid input is answered by `reply` rather
   * than with `{ error }`, and `schema` documents the 4XX bodies.
   */
  invalid?: { schema: Schema; reply: (issue: z.core.$ZodIssue, request: FastifyRequest, reply: FastifyReply) => unknown };
}

export interface RouteInput<P extends ObjectSchema, Q extends ObjectSchema, B extends Schema, A extends Access = Access> {
  params: z.infer<P>;
  query: z.infer<Q>;
  body: z.infer<B>;
  /** The caller, already authorized when the route's access is a permission. */
  principal: A extends Permission ? Principal : Principal | null;
}

type AnySpec = RouteSpec<ObjectSchema, ObjectSchema, Schema>;

const Empty = z.object({});
const ErrorBody = z.object({ error: z.string() });

/**
 * The documented HTTP API: every route registered here is authorized by its declared permission,
 * validated with its Zod schemas (a mismatch is a 400) and appears in the OpenAPI 3.1 document, generated from the same schemas with
 * `z.toJSONSchema` — so the document cannot drift from what the handlers accept.
 */
export class ApiCatalog {
  private readonly specs: AnySpec[] = [];

  route<P extends ObjectSchema = typeof Empty, Q extends ObjectSchema = typeof Empty, B extends Schema = z.ZodUndefined, A extends Access = Access>(
    app: FastifyInstance,
    spec: RouteSpec<P, Q, B, A>,
    handler: (input: RouteInput<P, Q, B, A>, request: FastifyRequest, reply: FastifyReply) => unknown,
  ): void {
    this.specs.push(spec as unknown as AnySpec);
    const parts: ['params' | 'query' | 'body', Schema | undefined, string][] = [
      ['params', spec.params ?? Empty, 'path parameter'],
      ['query', spec.query ?? Empty, 'query parameter'],
      ['body', spec.body, spec.bodyName ?? 'request body'],
    ];
    app.route({
      ...spec.options,
      config: { ...spec.options?.config, anonymous: spec.access === 'public' },
      method: spec.method,
      url: spec.url,
      handler: async (request, reply) => {
        const principal = isPermission(spec.access)
          ? authorize(request.principal, spec.access)
          : spec.access === 'user' && spec.method !== 'GET'
            ? requireActor(request.principal)
            : request.principal;
        const input: Record<string, unknown> = { principal };
        for (const [part, schema, what] of parts) {
          if (!schema) continue;
          if (!spec.invalid) {
            input[part] = parseBody(schema, request[part], what);
            continue;
          }
          const result = z.safeParse(schema, request[part]);
          if (!result.success) return spec.invalid.reply(result.error.issues[0]!, request, reply);
          input[part] = result.data;
        }
        return handler(input as unknown as RouteInput<P, Q, B, A>, request, reply);
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
      if (isPermission(spec.access)) {
        operation['x-wharf-permission'] = spec.access;
        operation['x-wharf-roles'] = [...PERMISSIONS[spec.access].roles];
      }
      if (spec.body) {
        operation.requestBody = { required: !z.safeParse(spec.body, undefined).success, content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } } };
      }
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

function isPermission(access: Access): access is Permission {
  return Object.hasOwn(PERMISSIONS, access);
}

function operationId(spec: AnySpec): string {
  const words = spec.url.replace(/^\/api\/v1\//, '').split(/[/:_-]+/).filter(Boolean);
  return [spec.method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join('');
}

function parameters(schema: ObjectSchema | undefined, where: 'path' | 'query'): Record<string, unknown>[] {
  if (!schema) return [];
  return Object.entries(schema._zod.def.shape).map(([name, s]) => {
    const optional = where === 'query' && z.safeParse(s, undefined).success;
    const description = z.globalRegistry.get(s)?.description;
    return { name, in: where, required: !optional, schema: jsonSchema(s, 'input'), ...(description ? { description } : {}) };
  });
}

function responses(spec: AnySpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    out[status] = { description: r.description, ...(r.schema ? { content: { 'application/json': { schema: jsonSchema(r.schema, 'output') } } } : {}) };
  }
  const errors = spec.invalid?.schema ?? ErrorBody;
  out['4XX'] = { description: 'Invalid input, missing authentication or permission, unknown resource', content: { 'application/json': { schema: jsonSchema(errors, 'output') } } };
  return out;
}

/** JSON Schema 2020-12 (the dialect of OpenAPI 3.1); coercions and defaults describe what clients send. */
function jsonSchema(schema: Schema, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}
