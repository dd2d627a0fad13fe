import { createGunzip } from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuditBulkRequestSchema } from '@wharf/core';
import { z } from 'zod';
import { HttpError, badRequest, notFound } from '../errors.js';
import { baseUrl, packageRoute, parseBody } from '../http.js';
import { IMMUTABLE_CACHE, METADATA_CACHE } from '../cdn/cache-policy.js';
import type { SupplyChainService } from './supply-chain-service.js';
import { authorize } from '../access/permissions.js';

export interface SupplyChainRoutesOptions {
  supplyChain: SupplyChainService;
  publicUrl: string | undefined;
}

const CYCLONEDX_JSON = 'application/vnd.cyclonedx+json; version=1.6';
/** OSV exports of a whole ecosystem run to megabytes. */
const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;
/** Decompressed: a lockfile of many thousand packages stays well below this. */
const AUDIT_BODY_LIMIT = 8 * 1024 * 1024;

const AdvisoryQuerySchema = z.object({ package: z.string().min(1).max(214).optional() });

/**
 * npm gzips the bulk audit body (`content-encoding: gzip`) and Fastify does not decompress
 * requests: this route inflates it before the JSON parser runs. The body limit then applies to
 * the inflated bytes, so a gzip bomb stops at the limit.
 */
async function gunzipBody(request: FastifyRequest, _reply: unknown, payload: Readable): Promise<Readable> {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return payload;
  if (encoding !== 'gzip') throw new HttpError(415, `content-encoding ${encoding} is not supported: send gzip or identity`);
  const gunzip = createGunzip();
  const inflated = new PassThrough();
  gunzip.on('error', (err) => inflated.destroy(badRequest(`request body is not valid gzip: ${err.message}`)));
  payload.on('error', (err) => inflated.destroy(err));
  payload.pipe(gunzip).pipe(inflated);
  // Fastify compares content-length with what it reads; the header counts the compressed bytes.
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared)) Object.assign(inflated, { receivedEncodedLength: declared });
  return inflated;
}

/** SBOMs and vulnerability reports per version, advisories and policies (admin API), and npm's bulk audit. */
export async function supplyChainRoutes(app: FastifyInstance, opts: SupplyChainRoutesOptions): Promise<void> {
  const { supplyChain } = opts;

  packageRoute(app, 'GET', '/plugins', '/:version/sbom.json', async (name, request, reply) => {
    const { version } = request.params as { version: string };
    const sbom = await supplyChain.sbom(name, version);
    if (!sbom) throw notFound(`no SBOM for ${name}@${version}: the version does not exist`);
    // Sent as bytes: Fastify would append a charset parameter to a string body, which the media type does not define.
    return reply.header('cache-control', IMMUTABLE_CACHE).header('content-type', CYCLONEDX_JSON).send(Buffer.from(sbom));
  });

  packageRoute(app, 'GET', '/plugins', '/:version/vulnerabilities.json', async (name, request, reply) => {
    const { version } = request.params as { version: string };
    const report = await supplyChain.vulnerabilities(name, version);
    if (!report) throw notFound(`${name}@${version} does not exist`);
    // Not immutable: advisories imported later change the findings.
    reply.header('cache-control', METADATA_CACHE);
    return report;
  });

  app.post('/api/v1/advisories', { bodyLimit: IMPORT_BODY_LIMIT }, async (request) => {
    const p = authorize(request.principal, 'advisories.import');
    return supplyChain.importAdvisories(p.name, request.body);
  });

  app.get('/api/v1/advisories', async (request) => {
    const query = parseBody(AdvisoryQuerySchema, request.query, 'query');
    const advisories = await supplyChain.listAdvisories(query.package);
    return { total: advisories.length, advisories };
  });

  app.get<{ Params: { id: string } }>('/api/v1/advisories/:id', async (request) => supplyChain.advisory(request.params.id));

  app.get('/api/v1/policies', async (request) => {
    authorize(request.principal, 'vulnerability-policies.read');
    return supplyChain.policies();
  });

  app.get<{ Params: { scope: string } }>('/api/v1/policies/:scope', async (request) => {
    authorize(request.principal, 'vulnerability-policies.read');
    return supplyChain.scopePolicy(request.params.scope);
  });

  app.put<{ Params: { scope: string } }>('/api/v1/policies/:scope', async (request) => {
    const p = authorize(request.principal, 'vulnerability-policies.set');
    return supplyChain.setScopePolicy(p.name, request.params.scope, request.body);
  });

  app.post('/-/npm/v1/security/advisories/bulk', { bodyLimit: AUDIT_BODY_LIMIT, preParsing: gunzipBody }, async (request) => {
    const body = parseBody(AuditBulkRequestSchema, request.body ?? {}, 'audit request');
    const base = baseUrl(request, opts.publicUrl);
    return supplyChain.auditBulk(body, (id) => `${base}/api/v1/advisories/${encodeURIComponent(id)}`);
  });
}
