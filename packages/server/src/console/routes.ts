import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { notFound } from '../errors.js';

/** Where `npm run build` puts the console (apps/console, package @wharf/console); null when it is not installed. */
export function defaultConsoleDir(): string | null {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@wharf/console/package.json')), 'dist');
  } catch {
    return null;
  }
}

/**
 * The console's page: never cached (it names the current hashed assets), never framed, and with no
 * Referer leaving it (the first-run link carries the setup token in its query).
 */
function sendPage(reply: FastifyReply, dir: string): FastifyReply {
  return reply
    .header('cache-control', 'no-cache')
    .header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .sendFile('index.html', dir, { cacheControl: false });
}

/**
 * The operator console at /cp: hashed assets cached for a year, every other /cp path answered with the
 * single page (its router decides). `/` sends a browser there; npm and other clients get JSON.
 */
export async function consoleRoutes(app: FastifyInstance, { dir }: { dir: string | null }): Promise<void> {
  const built = dir !== null && existsSync(join(dir, 'index.html'));
  app.get('/', async (request, reply) => {
    if (built && (request.headers.accept ?? '').includes('text/html')) return reply.redirect('/cp/', 302);
    throw notFound('this is a Wharf registry: point npm at it, or open /cp in a browser for the console');
  });
  if (!built) {
    const missing = async () => {
      throw notFound('the console is not built here: run npm run build');
    };
    app.get('/cp', missing);
    app.get('/cp/*', missing);
    return;
  }
  await app.register(fastifyStatic, { root: join(dir, 'assets'), prefix: '/cp/assets/', immutable: true, maxAge: '365d', index: false, wildcard: true });
  app.get('/cp', async (_request, reply) => reply.redirect('/cp/', 301));
  app.get('/cp/', async (_request, reply) => sendPage(reply, dir));
  app.get('/cp/*', async (request, reply) => {
    // A missing asset is a 404, not the page (a stale tab asking for an old hash would get HTML as JS).
    if (request.url.startsWith('/cp/assets/')) throw notFound('no such console asset');
    return sendPage(reply, dir);
  });
}
