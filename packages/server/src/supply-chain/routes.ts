import { createGunzip } from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  AdvisoryImportReportSchema,
  AdvisoryImportSchema,
  AdvisoryListSchema,
  AuditBulkRequestSchema, AuditTreeRequestSchema,
  EffectivePolicySchema,
  OsvAdvisorySchema,
  ScopePolicySchema,
  VulnerabilityPoliciesSchema,
  type AdvisoryList,
  type EffectivePolicy,
  type VulnerabilityPolicies,
} from '@wharf/core';
import { z } from 'zod';
import { HttpError, badRequest, notFound } from '../errors.js';
import { baseUrl, packageRoute, parseBody } from '../http.js';
import { IMMUTABLE_CACHE, METADATA_CACHE } from '../cdn/cache-policy.js';
import type { SupplyChainService } from './supply-chain-service.js';
import type { ApiCatalog } from '../docs/api-catalog.js';

export interface SupplyChainRoutesOptions {
  supplyChain: SupplyChainService;
  publicUrl: string | undefined;
  catalog: ApiCatalog;
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
  const { supplyChain, catalog } = opts;

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

  const tag = 'supply-chain';
  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/advisories',
      tag,
      access: 'advisories.import',
      summary: 'Import OSV advisories',
      description: 'One OSV advisory or a list (an OSV export is either), up to 10000. An advisory already stored is replaced only by a newer `modified`.',
      body: AdvisoryImportSchema,
      bodyName: 'advisories',
      options: { bodyLimit: IMPORT_BODY_LIMIT },
      responses: { 200: { description: 'What happened to each advisory, in the order sent', schema: AdvisoryImportReportSchema } },
    },
    // The service validates the import itself; it takes the body as sent.
    ({ principal }, request) => supplyChain.importAdvisories(principal.name, request.body),
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/advisories',
      tag,
      access: 'public',
      summary: 'Imported advisories',
      query: AdvisoryQuerySchema,
      responses: { 200: { description: 'The advisories, in OSV format', schema: AdvisoryListSchema } },
    },
    async ({ query }): Promise<AdvisoryList> => {
      const advisories = await supplyChain.listAdvisories(query.package);
      return { total: advisories.length, advisories };
    },
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/advisories/:id',
      tag,
      access: 'public',
      summary: 'One advisory',
      description: 'Where the vulnerability reports and `npm audit` link to.',
      params: z.object({ id: z.string() }),
      responses: { 200: { description: 'The advisory (OSV)', schema: OsvAdvisorySchema } },
    },
    ({ params }) => supplyChain.advisory(params.id),
  );

  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/policies',
      tag,
      access: 'vulnerability-policies.read',
      summary: 'Vulnerability policies: the default and each scope\'s',
      responses: { 200: { description: 'The built-in default and every policy set, by scope', schema: VulnerabilityPoliciesSchema } },
    },
    (): Promise<VulnerabilityPolicies> => supplyChain.policies(),
  );

  const ScopeParams = z.object({ scope: z.string() });
  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/policies/:scope',
      tag,
      access: 'vulnerability-policies.read',
      summary: 'The policy a scope follows',
      description: 'Its own, else the registry default (`*`), else `flag`. `@acme` and `acme` name the same scope.',
      params: ScopeParams,
      responses: { 200: { description: 'The policy and the scope that decided it (`*` the registry default, null the built-in one)', schema: EffectivePolicySchema } },
    },
    ({ params }): Promise<EffectivePolicy> => supplyChain.scopePolicy(params.scope),
  );

  catalog.route(
    app,
    {
      method: 'PUT',
      url: '/api/v1/policies/:scope',
      tag,
      access: 'vulnerability-policies.set',
      summary: "Set a scope's vulnerability policy",
      description: 'What publishing a version with a vulnerable direct dependency does in the scope: `block` refuses it, `flag` marks it, `allow` does neither. `*` sets the registry default.',
      params: ScopeParams,
      body: ScopePolicySchema,
      bodyName: 'policy',
      responses: { 200: { description: 'The scope and its policy now', schema: EffectivePolicySchema } },
    },
    ({ params, principal }, request): Promise<EffectivePolicy> => supplyChain.setScopePolicy(principal.name, params.scope, request.body),
  );

  // pnpm audit asks /quick first, then the full endpoint; both answer the same report.
  for (const url of ['/-/npm/v1/security/audits/quick', '/-/npm/v1/security/audits']) {
    app.post(url, { bodyLimit: AUDIT_BODY_LIMIT, preParsing: gunzipBody, config: { anonymous: true } }, async (request) => {
      const body = parseBody(AuditTreeRequestSchema, request.body ?? {}, 'audit request');
      const base = baseUrl(request, opts.publicUrl);
      return supplyChain.auditTree(body, (id) => `${base}/api/v1/advisories/${encodeURIComponent(id)}`);
    });
  }

  app.post('/-/npm/v1/security/advisories/bulk', { bodyLimit: AUDIT_BODY_LIMIT, preParsing: gunzipBody, config: { anonymous: true } }, async (request) => {
    const body = parseBody(AuditBulkRequestSchema, request.body ?? {}, 'audit request');
    const base = baseUrl(request, opts.publicUrl);
    return supplyChain.auditBulk(body, (id) => `${base}/api/v1/advisories/${encodeURIComponent(id)}`);
  });
}
