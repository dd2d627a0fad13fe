import type { FastifyInstance, FastifyReply } from 'fastify';
import { RegisterKeyBodySchema, RevokeBodySchema, SignaturePolicyBodySchema, TOP_LEVEL_ROLES, type TopLevelRole } from '@wharf/core';
import { parseBody } from '../http.js';
import { notFound } from '../errors.js';
import { IMMUTABLE_CACHE, TRUST_KEY, tagResponse } from '../cdn/cache-policy.js';
import type { TrustService } from './trust-service.js';
import { authorize, roleMay } from '../access/permissions.js';

export interface TrustRoutesOptions {
  trust: TrustService;
}

// Unversioned names change on every update: clients must always get the newest.
const LATEST_CACHE = 'no-cache';
const VERSIONED = /^([1-9]\d{0,9})\.(root|snapshot|targets|timestamp)\.json$/;

/** The signed catalog (TUF layout under /trust/), key registration, revocation, policies, provenance. */
export async function trustRoutes(app: FastifyInstance, { trust }: TrustRoutesOptions): Promise<void> {
  const send = (reply: FastifyReply, body: string | null, cache: string, what: string) => {
    if (body === null) throw notFound(`${what} not found`);
    return tagResponse(reply, [TRUST_KEY]).header('cache-control', cache).type('application/json').send(body);
  };

  for (const role of TOP_LEVEL_ROLES) {
    app.get(`/trust/${role}.json`, async (_req, reply) => send(reply, await trust.metadata(role), LATEST_CACHE, `${role}.json`));
  }
  app.get<{ Params: { file: string } }>('/trust/:file', async (req, reply) => {
    const m = VERSIONED.exec(req.params.file);
    if (!m) throw notFound(`not found: ${req.params.file}`);
    return send(reply, await trust.metadata(m[2] as TopLevelRole, Number(m[1])), IMMUTABLE_CACHE, req.params.file);
  });

  app.put('/trust/root', async (req) => ({ version: await trust.updateRoot(req.principal, req.body) }));

  app.post('/trust/keys', async (req, reply) => reply.code(201).send(await trust.registerKey(req.principal, parseBody(RegisterKeyBodySchema, req.body))));
  app.get('/trust/keys', async (req) => ({ keys: await trust.keysOf(req.principal) }));
  app.delete<{ Params: { keyid: string } }>('/trust/keys/:keyid', async (req, reply) => {
    await trust.revokeKey(req.principal, req.params.keyid);
    return reply.code(204).send();
  });

  app.post('/trust/revocations', async (req, reply) => {
    await trust.revoke(req.principal, parseBody(RevokeBodySchema, req.body));
    return reply.code(201).send({ ok: true });
  });

  app.put<{ Params: { scope: string } }>('/trust/policies/:scope', async (req) => {
    // The permission table says who may set any scope's policy; other callers may only set that of a
    // scope they own, which the service checks (and answers 401 for anonymous callers).
    if (req.principal && roleMay(req.principal.role, 'signature-policies.set')) authorize(req.principal, 'signature-policies.set');
    const body = parseBody(SignaturePolicyBodySchema, req.body);
    const scope = req.params.scope.replace(/^@/, '');
    await trust.setPolicy(req.principal, scope, body.requireSignature);
    return { scope, requireSignature: body.requireSignature };
  });

  const provenance = async (name: string, version: string) => trust.provenance(name, version);
  app.get<{ Params: { name: string; version: string } }>('/plugins/:name/:version/provenance.json', async (req, reply) =>
    reply.header('cache-control', IMMUTABLE_CACHE).send(await provenance(req.params.name, req.params.version)),
  );
  app.get<{ Params: { scope: string; name: string; version: string } }>('/plugins/:scope/:name/:version/provenance.json', async (req, reply) =>
    reply.header('cache-control', IMMUTABLE_CACHE).send(await provenance(`${req.params.scope}/${req.params.name}`, req.params.version)),
  );
}
