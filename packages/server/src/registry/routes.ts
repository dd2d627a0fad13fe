import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IMMUTABLE_CACHE, METADATA_CACHE, packageKey, tagResponse } from '../cdn/cache-policy.js';
import { DistTagBodySchema, PackumentWriteSchema, SearchQuerySchema } from '@wharf/core';
import semver from 'semver';
import type { RegistryService } from './registry-service.js';
import type { NpmSearch } from './npm-search.js';
import type { NpmRegistrySigner } from './npm-signer.js';
import { notFound } from '../errors.js';
import { baseUrl, packageRoute, parseBody, sentNotModified } from '../http.js';
import type { Metrics } from '../ops/metrics.js';

export interface RegistryRoutesOptions {
  registry: RegistryService;
  search: NpmSearch;
  metrics: Metrics;
  publicUrl: string | undefined;
  maxTarballBytes: number;
  signer: NpmRegistrySigner;
}

const ABBREVIATED = 'application/vnd.npm.install-v1+json';

/** The npm registry protocol (shared/docs/npm-protocol.md): thin handlers over RegistryService. */
export async function registryRoutes(app: FastifyInstance, opts: RegistryRoutesOptions): Promise<void> {
  const { registry } = opts;
  // base64 inflates by 4/3; the JSON around the attachment (manifest, readme) gets a few MB more.
  const publishBodyLimit = Math.ceil((opts.maxTarballBytes * 4) / 3) + 8 * 1024 * 1024;

  app.get('/-/ping', async () => ({}));

  app.get('/-/npm/v1/keys', async () => opts.signer.keys());

  app.get('/-/v1/search', async (request) => {
    const query = parseBody(SearchQuerySchema, request.query, 'search query');
    const started = Date.now();
    const { rows, total } = await opts.search.search(query.text, query.from, query.size);
    return { objects: rows, total, time: new Date(started).toUTCString() };
  });

  packageRoute(app, 'GET', '', '', async (name, request, reply) => {
    const abbreviated = (request.headers.accept ?? '').includes(ABBREVIATED) && (request.query as { write?: string }).write !== 'true';
    const doc = await registry.packument(name, abbreviated ? 'abbreviated' : 'full', baseUrl(request, opts.publicUrl));
    if (!doc) throw notFound(`package ${name} not found`);
    return sendCached(request, tagResponse(reply, [packageKey(name)]), doc.body, doc.etag, abbreviated ? ABBREVIATED : 'application/json');
  });

  packageRoute(app, 'GET', '', '/:version', async (name, request) => {
    const wanted = (request.params as { version: string }).version;
    const doc = await registry.document(name);
    if (!doc) throw notFound(`package ${name} not found`);
    const version = doc.tags[wanted] ?? (semver.valid(wanted) ? wanted : semver.maxSatisfying(doc.versions.map((v) => v.version), wanted));
    const row = doc.versions.find((v) => v.version === version);
    if (!row) throw notFound(`${name} has no version matching ${wanted}`);
    return registry.versionDocument(row, baseUrl(request, opts.publicUrl));
  });

  packageRoute(app, 'GET', '', '/-/:file', async (name, request, reply) => {
    const file = (request.params as { file: string }).file;
    const ref = await registry.tarball(name, file);
    if (!ref) throw notFound(`tarball ${file} of ${name} not found`);
    const etag = `"${ref.integrity}"`;
    tagResponse(reply, [packageKey(name)]).header('content-type', 'application/octet-stream');
    if (sentNotModified(request, reply, etag, IMMUTABLE_CACHE)) return reply;
    opts.metrics.downloads.inc();
    const bytes = await registry.tarballBytes(ref);
    if (!bytes) throw notFound(`tarball ${file} of ${name} is missing from the blob store`);
    reply.header('content-length', bytes.length);
    return reply.send(bytes);
  });

  packageRoute(
    app,
    'PUT',
    '',
    '',
    async (name, request, reply) => {
      const body = parseBody(PackumentWriteSchema, request.body, 'package document');
      if (body._attachments && Object.keys(body._attachments).length > 0) {
        const published = await registry.publish(request.principal, name, body);
        request.log.info({ package: name, version: published.version, user: published.principal.name }, 'published');
      } else {
        await registry.updateDocument(request.principal, name, body, false);
      }
      reply.code(201);
      return { ok: true, id: name };
    },
    { bodyLimit: publishBodyLimit },
  );

  packageRoute(app, 'PUT', '', '/-rev/:rev', async (name, request, reply) => {
    const body = parseBody(PackumentWriteSchema, request.body, 'package document');
    await registry.updateDocument(request.principal, name, body, true);
    reply.code(201);
    return { ok: true, id: name };
  }, { bodyLimit: publishBodyLimit });

  packageRoute(app, 'DELETE', '', '/-rev/:rev', async (name, request) => {
    await registry.unpublishPackage(request.principal, name);
    return { ok: true };
  });

  packageRoute(app, 'DELETE', '', '/-/:file/-rev/:rev', async (name, request) => {
    await registry.confirmTarballRemoval(request.principal, name);
    return { ok: true };
  });

  packageRoute(app, 'GET', '/-/package', '/dist-tags', async (name) => registry.distTags(name));

  packageRoute(app, 'PUT', '/-/package', '/dist-tags/:tag', async (name, request, reply) => {
    const version = parseBody(DistTagBodySchema, request.body, 'dist-tag body (a JSON string naming the version)');
    await registry.setDistTag(request.principal, name, (request.params as { tag: string }).tag, version);
    reply.code(201);
    return { ok: true };
  });

  packageRoute(app, 'DELETE', '/-/package', '/dist-tags/:tag', async (name, request) => {
    await registry.removeDistTag(request.principal, name, (request.params as { tag: string }).tag);
    return { ok: true };
  });
}

/** Sends a cached JSON body with its ETag, or a bodiless 304 when the client already has it. */
function sendCached(request: FastifyRequest, reply: FastifyReply, body: string, etag: string, type: string): FastifyReply {
  if (sentNotModified(request, reply.header('vary', 'accept'), etag, METADATA_CACHE)) return reply;
  return reply.header('content-type', type).send(body);
}
