import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { z } from 'zod';
import { badRequest, HttpError } from './errors.js';

/**
 * Per-address rate limiting for the routes of this plugin that opt in with `perMinute(n)`: over the
 * limit a JSON 429 saying `too many <what>` with Retry-After.
 */
export async function installRateLimit(app: FastifyInstance, what: string): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => new HttpError(429, `too many ${what}: retry in ${ctx.after}`, { 'retry-after': String(Math.ceil(ctx.ttl / 1000)) }),
  });
}

/**
 * Gives an answer its ETag (and cache policy, when given) and answers If-None-Match: true when it
 * names `etag` (a list, weak forms compared weakly, as RFC 9110 says), after sending the bodiless
 * 304; the caller then returns the reply.
 */
export function sentNotModified(request: FastifyRequest, reply: FastifyReply, etag: string, cacheControl?: string): boolean {
  reply.header('etag', etag);
  if (cacheControl) reply.header('cache-control', cacheControl);
  const inm = request.headers['if-none-match'];
  if (typeof inm !== 'string' || !inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return false;
  reply.code(304).send();
  return true;
}

/** Route config for a limit of `max` requests per minute per client address. */
export const perMinute = (max: number) => ({ rateLimit: { max, timeWindow: 60_000 } });

/** Validates input against a core schema; a mismatch is a 400 naming the first bad field. */
export function parseBody<S extends z.core.$ZodType>(schema: S, value: unknown, what = 'request body'): z.infer<S> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw badRequest(`invalid ${what}${path}: ${issue.message}`);
}

/**
 * Base of absolute URLs written into documents (tarball links): the configured public URL, else the
 * address the client's connection reached, never the Host header: a forged Host would otherwise end
 * up in packuments a cache keeps for everyone. Behind a proxy or CDN, set publicUrl. Requests that
 * came through no socket (`inject`) fall back to their Host.
 */
export function baseUrl(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  const { localAddress, localPort } = request.socket;
  if (!localAddress || !localPort) return `${request.protocol}://${request.host}`;
  const address = localAddress.startsWith('::ffff:') ? localAddress.slice(7) : localAddress;
  return `${request.protocol}://${address.includes(':') ? `[${address}]` : address}:${localPort}`;
}

/** Far above any JSON Wharf reads (a flag set is 6 deep, a package manifest rarely 10), far below the stack's limit. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether JSON text nests arrays and objects deeper than `max`. Checked on the text before parsing:
 * a parsed document 100,000 levels deep overflows the stack later, in JSON.stringify or a schema, as
 * a 500. Strings are skipped with indexOf, so a publish's base64 attachment costs one native scan.
 */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Jump to the closing quote: one preceded by an even run of backslashes.
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i === -1) return false;
        let slashes = 0;
        while (text.charCodeAt(i - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export type NameHandler = (name: string, request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * Registers a route for unscoped names (`/<name>`) and scoped ones (`/@<scope>/<name>`; the `%2f`
 * spelling npm sends is decoded before routing, see `decodeScopeSlash`).
 */
export function packageRoute(
  app: FastifyInstance,
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD',
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

/**
 * Whether JSON text holds a NUL character (the escape `\u0000`; a raw one is not valid JSON). No
 * field accepts one, and PostgreSQL cannot store it in text: refused at the edge, the same on both
 * backends. An escaped backslash followed by `u0000` is text, not a NUL: the run of backslashes
 * before `u` must be odd.
 */
export function jsonHasNul(text: string): boolean {
  for (let at = text.indexOf('\\u0000'); at !== -1; at = text.indexOf('\\u0000', at + 1)) {
    let slashes = 1;
    while (at - slashes >= 0 && text.charCodeAt(at - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 1) return true;
  }
  return false;
}

