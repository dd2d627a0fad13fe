import type { FastifyReply } from 'fastify';

/** Versioned files never change: any cache may keep them for a year without asking again. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';

/**
 * Metadata (packuments, catalog.json): five minutes, then revalidated with its ETag. Everything
 * a client reads from it is signed and expiring, so a CDN may also answer slightly stale while it
 * revalidates, or for a day when the origin is down (RFC 5861).
 */
export const METADATA_CACHE = 'public, max-age=300, must-revalidate, stale-while-revalidate=60, stale-if-error=86400';

/** Surrogate key of everything served for one package: its packument, tarballs and versions. */
export const packageKey = (name: string): string => `pkg:${name}`;
export const CATALOG_KEY = 'catalog';
export const TRUST_KEY = 'trust';

/**
 * Tags a response for purge by tag: `Surrogate-Key` (Fastly, Varnish; space-separated) and
 * `Cache-Tag` (Cloudflare, Akamai; comma-separated). Keys never contain spaces or commas.
 */
export function tagResponse(reply: FastifyReply, keys: string[]): FastifyReply {
  return reply.header('surrogate-key', keys.join(' ')).header('cache-tag', keys.join(','));
}

/** The URL paths a package's metadata is served at (npm encodes the scope slash; both spellings are cached separately). */
export function packagePaths(name: string): string[] {
  return name.startsWith('@') ? [`/${name}`, `/${name.replace('/', '%2f')}`, `/${name.replace('/', '%2F')}`] : [`/${name}`];
}
