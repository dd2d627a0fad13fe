import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { badRequest } from './errors.js';

/** Validates input against a core schema; a mismatch is a 400 naming the first bad field. */
export function parseBody<S extends z.core.$ZodType>(schema: S, value: unknown, what = 'request body'): z.infer<S> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw badRequest(`invalid ${what}${path}: ${issue.message}`);
}

/** Base of absolute URLs written into documents: the configured public URL, else what the client called. */
export function baseUrl(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}

export type NameHandler = (name: string, request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * Registers a route for unscoped names (`/<name>`) and scoped ones (`/@<scope>/<name>`; the `%2f`
 * spelling npm sends is decoded before routing, see `decodeScopeSlash`).
 */
export function packageRoute(
  app: FastifyInstance,
  method: 'GET' | 'PUT' | 'DELETE' | 'HEAD',
  prefix: string,
  suffix: string,
  handler: NameHandler,
  options: { bodyLimit?: number } = {},
): void {
  app.route<{ Params: { name: string } }>({ method, url: `${prefix}/:name${suffix}`, ...options, handler: (req, reply) => handler(req.params.name, req, reply) });
  app.route<{ Params: { scope: string; pkg: string } }>({
    method,
    url: `${prefix}/@:scope/:pkg${suffix}`,
    ...options,
    handler: (req, reply) => handler(`@${req.params.scope}/${req.params.pkg}`, req, reply),
  });
}
