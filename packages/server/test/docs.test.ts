import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { generateKeyPair } from '@wharf/core';
import { ADMIN_TOKEN, bearer, createTestWharf, type TestWharf } from './helpers.js';
import { osvAdvisory } from './supply-chain-support.js';

/**
 * Every route Fastify registers, seen through an onRoute hook added to each instance as it is
 * created: the ground truth the OpenAPI document is compared with, whoever registered the route.
 */
const registered = vi.hoisted(() => [] as { method: string; url: string }[]);
vi.mock('fastify', async (importOriginal) => {
  const real = await importOriginal<typeof import('fastify')>();
  const create = ((options?: object) => {
    const app = (real.default as (options?: object) => FastifyInstance)(options);
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) registered.push({ method, url: route.url ?? route.path });
    });
    return app;
  }) as typeof real.default;
  return { ...real, default: create };
});

// CommonJS `module.exports = fn` typed as an ES default export: under NodeNext the import is the module object.
const addFormats = formatsModule as unknown as typeof formatsModule.default;

/** Wharf's own HTTP API; the npm registry protocol, TUF metadata files and ops endpoints are documented elsewhere. */
const DOCUMENTED = /^\/api\/v1\/|^\/ofrep\/v1\/|^\/meta\/release$|^\/trust\/(keys|revocations|policies|root)(\/|$)/;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  parameters: { name: string; in: string; required: boolean; schema: object }[];
  requestBody?: { required: boolean; content: Record<string, { schema: object }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: object }> }>;
  security?: Record<string, string[]>[];
  'x-wharf-permission'?: string;
  'x-wharf-roles'?: string[];
}
type Doc = { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };

describe('OpenAPI document', () => {
  let w: TestWharf;
  let doc: Doc;
  beforeAll(async () => {
    w = await createTestWharf('sqlite');
    const res = await w.app.inject({ url: '/docs/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(() => w.destroy());

  const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

  it('documents every registered /api/v1, /ofrep/v1, /meta/release and trust key, revocation and policy route, and no route that does not exist', () => {
    const toPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    // HEAD routes are Fastify's automatic twins of GET routes.
    const routes = registered.filter((r) => r.method !== 'HEAD' && DOCUMENTED.test(r.url)).map((r) => `${r.method} ${toPath(r.url)}`);
    // The hook saw the flags, rollouts, sources and marketplace routes, not only a few.
    expect(routes.length).toBeGreaterThan(50);
    const documented = operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(routes.filter((r) => !documented.includes(r)), 'registered but missing from /docs/openapi.json').toEqual([]);
    const all = new Set(registered.map((r) => `${r.method} ${toPath(r.url)}`));
    expect(documented.filter((d) => !all.has(d)), 'documented but not registered').toEqual([]);
  });

  it('is a structurally valid OpenAPI 3.1 document whose schemas are valid JSON Schema 2020-12', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    const ajv = new Ajv2020({ strict: false });
    const schemaProblems: string[] = [];
    const checkSchema = (where: string, schema: object) => {
      if (!ajv.validateSchema(schema)) schemaProblems.push(`${where}: ${ajv.errorsText(ajv.errors)}`);
    };
    const ids = new Set<string>();
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(path, where).toMatch(/^\//);
      expect(METHODS, where).toContain(method);
      expect(op.operationId, where).toMatch(/^[A-Za-z0-9_]+$/);
      expect(ids.has(op.operationId), `${where}: operationId ${op.operationId} is used twice`).toBe(false);
      ids.add(op.operationId);
      expect(op.summary, where).toBeTruthy();
      expect(op.tags.length, where).toBeGreaterThan(0);
      // Each template variable is a required path parameter, and each path parameter is in the template.
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const pathParams = op.parameters.filter((p) => p.in === 'path');
      expect(pathParams.map((p) => p.name).sort(), where).toEqual(templated.sort());
      for (const p of pathParams) expect(p.required, `${where} ${p.name}`).toBe(true);
      const seen = new Set<string>();
      for (const p of op.parameters) {
        expect(['path', 'query', 'header', 'cookie'], where).toContain(p.in);
        expect(seen.has(`${p.in} ${p.name}`), `${where}: parameter ${p.name} twice`).toBe(false);
        seen.add(`${p.in} ${p.name}`);
        checkSchema(`${where} parameter ${p.name}`, p.schema);
      }
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) checkSchema(`${where} request ${type}`, media.schema);
      const statuses = Object.keys(op.responses);
      expect(statuses.some((s) => /^[23]\d\d$/.test(s)), `${where}: no success response`).toBe(true);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(status, where).toMatch(/^([1-5]\d\d|[1-5]XX)$/);
        expect(response.description, `${where} ${status}`).toBeTruthy();
        for (const [type, media] of Object.entries(response.content ?? {})) checkSchema(`${where} ${status} ${type}`, media.schema);
      }
      for (const requirement of op.security ?? []) for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes, where).toHaveProperty(scheme);
    }
    expect(schemaProblems).toEqual([]);
  });

  it('gives every 2xx answer with a JSON body its schema, not only a description', () => {
    /**
     * Success answers (`METHOD /path status`) that deliberately carry no JSON body, so a description
     * is all there is to say: a stream, a file download. Say why for each entry. 204s need no entry.
     */
    const NOT_JSON = new Set<string>([]);
    const missing = operations().flatMap(({ path, method, op }) =>
      Object.entries(op.responses)
        .filter(([status, response]) => /^2\d\d$/.test(status) && status !== '204' && !response.content?.['application/json']?.schema)
        .map(([status]) => `${method.toUpperCase()} ${path} ${status}`),
    );
    expect(missing.filter((m) => !NOT_JSON.has(m)), 'documented by description only').toEqual([]);
    // An exception that has since gained a schema (or whose route is gone) leaves the list.
    expect([...NOT_JSON].filter((m) => !missing.includes(m)), 'listed as not JSON but documented with a schema').toEqual([]);
  });

  it('answers what it documents: real answers validate against the documented response schemas', async () => {
    const key = await generateKeyPair();
    // Each call's answer is checked against the schema the document gives for its path, method and status.
    const calls: { method: string; path: string; url?: string; body?: unknown; status: number }[] = [
      { method: 'PATCH', path: '/api/v1/flags/{key}', url: '/api/v1/flags/docs-demo', body: { state: 'ROLLOUT', percentage: 30 }, status: 200 },
      { method: 'POST', path: '/ofrep/v1/evaluate/flags/{key}', url: '/ofrep/v1/evaluate/flags/docs-demo', body: { context: { targetingKey: 'u-1' } }, status: 200 },
      { method: 'POST', path: '/ofrep/v1/evaluate/flags', body: { context: { targetingKey: 'u-1', plan: 'pro' } }, status: 200 },
      { method: 'POST', path: '/api/v1/rollouts/reports', body: { reports: [{ plugin: 'docs-kit', version: '1.0.0', activations: 9, errors: 1 }] }, status: 202 },
      { method: 'GET', path: '/api/v1/rollouts/health', url: '/api/v1/rollouts/health?plugin=docs-kit', status: 200 },
      { method: 'POST', path: '/api/v1/advisories', body: osvAdvisory('GHSA-docs-0001', 'docs-lib', '1.0.0', '1.2.0'), status: 200 },
      { method: 'GET', path: '/api/v1/advisories', status: 200 },
      { method: 'PUT', path: '/api/v1/policies/{scope}', url: '/api/v1/policies/@docs', body: { vulnerable: 'block' }, status: 200 },
      { method: 'GET', path: '/api/v1/policies/{scope}', url: '/api/v1/policies/docs', status: 200 },
      { method: 'GET', path: '/api/v1/policies/{scope}', url: '/api/v1/policies/elsewhere', status: 200 },
      { method: 'GET', path: '/api/v1/policies', status: 200 },
      { method: 'POST', path: '/trust/keys', body: { public: key.keyval.public, name: 'docs' }, status: 201 },
      { method: 'GET', path: '/trust/keys', status: 200 },
      { method: 'PUT', path: '/trust/policies/{scope}', url: '/trust/policies/@docs', body: { requireSignature: true }, status: 200 },
      { method: 'POST', path: '/api/v1/sources/stats', body: { sources: [{ source: 'main', requests: 3, errors: 0, rateLimited: 0, fallbacks: 0 }] }, status: 202 },
      { method: 'GET', path: '/api/v1/audit/verify', status: 200 },
    ];
    // The answers are checked down to their formats (date-time, uri) too.
    const ajv = addFormats(new Ajv2020({ strict: false }));
    const problems: string[] = [];
    for (const c of calls) {
      const where = `${c.method} ${c.url ?? c.path}`;
      const res = await w.app.inject({ method: c.method as 'GET', url: c.url ?? c.path, headers: bearer(ADMIN_TOKEN), ...(c.body === undefined ? {} : { payload: c.body as object }) });
      expect(res.statusCode, `${where}: ${res.body}`).toBe(c.status);
      const schema = doc.paths[c.path]![c.method.toLowerCase()]!.responses[String(c.status)]!.content!['application/json']!.schema;
      if (!ajv.validate(schema, res.json())) problems.push(`${where}: ${ajv.errorsText(ajv.errors)} in ${res.body}`);
    }
    expect(problems).toEqual([]);
  });

  it('states the permission and roles of control-plane routes, and takes request and response schemas from the core ones', () => {
    const patch = doc.paths['/api/v1/flags/{key}']!.patch!;
    expect(patch['x-wharf-permission']).toBe('flags.write');
    expect(patch['x-wharf-roles']).toEqual(['admin', 'release-manager']);
    expect(patch.security).toEqual([{ bearer: [] }]);
    expect(patch.parameters.find((p) => p.name === 'key')!.schema).toMatchObject({ type: 'string', pattern: expect.any(String) });
    expect(patch.requestBody!.content['application/json']!.schema).toMatchObject({ properties: { state: { enum: ['ON', 'OFF', 'ROLLOUT', 'FORCE_OFF'] } } });
    // Admin-only routes name their permission as well: reading the queues is allowed to read-only admin tokens, acting is not.
    for (const [path, method, permission] of [
      ['/api/v1/moderation/reports', 'get', 'moderation.read'],
      ['/api/v1/moderation/reports/{reportId}/resolve', 'post', 'moderation'],
      ['/api/v1/moderation/plugins', 'get', 'moderation.read'],
      ['/api/v1/moderation/plugins/{id}/state', 'put', 'moderation'],
    ] as const) {
      const op = doc.paths[path]![method]!;
      expect(op['x-wharf-permission'], `${method} ${path}`).toBe(permission);
      expect(op['x-wharf-roles'], `${method} ${path}`).toEqual(['admin']);
    }
    const create = doc.paths['/api/v1/rollouts']!.post!;
    expect(create.responses['201']!.content!['application/json']!.schema).toMatchObject({ properties: { state: { enum: ['active', 'halted', 'completed', 'rolled_back'] } } });
    // The rollback reason is optional, and so is the body.
    expect(doc.paths['/api/v1/rollouts/{id}/rollback']!.post!.requestBody!.required).toBe(false);
    const gate = doc.paths['/meta/release']!.get!;
    expect(gate.security).toBeUndefined();
    expect(Object.keys(gate.responses)).toEqual(expect.arrayContaining(['200', '426', '503']));
    // OFREP answers errors in its own shape, and the document says so.
    const ofrep = doc.paths['/ofrep/v1/evaluate/flags/{key}']!.post!;
    expect(ofrep.responses['4XX']!.content!['application/json']!.schema).toMatchObject({ required: ['errorCode'] });
    expect(ofrep.requestBody!.required).toBe(false);
  });
});
