import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  RegisteredKeyListSchema,
  RegisteredKeySchema,
  RegisterKeyBodySchema,
  RevokeBodySchema,
  RootUpdateResponseSchema,
  SignaturePolicyBodySchema,
  SignaturePolicySchema,
  TOP_LEVEL_ROLES,
  TrustOkSchema,
  type RegisteredKeyList,
  type SignaturePolicy,
  type TopLevelRole,
} from '@wharf/core';
import type { ApiCatalog } from '../docs/api-catalog.js';
import { notFound } from '../errors.js';
import { IMMUTABLE_CACHE, TRUST_KEY, tagResponse } from '../cdn/cache-policy.js';
import type { TrustService } from './trust-service.js';
import type { PublisherKeys } from './publisher-keys.js';
import type { PublishRecords } from './publish-records.js';
import { authorize, roleMay } from '../access/permissions.js';

export interface TrustRoutesOptions {
  trust: TrustService;
  keys: PublisherKeys;
  records: PublishRecords;
  catalog: ApiCatalog;
}

// Unversioned names change on every update: clients must always get the newest.
const LATEST_CACHE = 'no-cache';
const VERSIONED = /^([1-9]\d{0,9})\.(root|snapshot|targets|timestamp)\.json$/;

/** The signed catalog (TUF layout under /trust/), key registration, revocation, policies, provenance. */
export async function trustRoutes(app: FastifyInstance, { trust, keys, records, catalog }: TrustRoutesOptions): Promise<void> {
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

  const tag = 'trust';
  catalog.route(
    app,
    {
      method: 'PUT',
      url: '/trust/root',
      tag,
      access: 'trust.root',
      summary: 'Install a new TUF root',
      description: 'The body is a root metadata envelope (`{ signed, signatures }`) with the next version, signed by a threshold of the current root keys and of its own.',
      responses: { 200: { description: 'The new root version', schema: RootUpdateResponseSchema } },
    },
    async ({ principal }, req) => ({ version: await trust.updateRoot(principal, req.body) }),
  );

  catalog.route(
    app,
    {
      method: 'POST',
      url: '/trust/keys',
      tag,
      access: 'user',
      summary: 'Register a signing key',
      description: 'An Ed25519 public key of the caller; versions signed with it verify as long as it is not revoked. Read-only tokens and readers are refused.',
      body: RegisterKeyBodySchema,
      responses: { 201: { description: 'The registered key', schema: RegisteredKeySchema } },
    },
    async ({ body, principal }, _req, reply) => reply.code(201).send(await keys.registerKey(principal, body)),
  );
  catalog.route(
    app,
    { method: 'GET', url: '/trust/keys', tag, access: 'user', summary: "The caller's signing keys", responses: { 200: { description: 'The keys, revoked ones included', schema: RegisteredKeyListSchema } } },
    async ({ principal }): Promise<RegisteredKeyList> => ({ keys: await keys.keysOf(principal) }),
  );
  catalog.route(
    app,
    {
      method: 'DELETE',
      url: '/trust/keys/:keyid',
      tag,
      access: 'user',
      summary: 'Revoke one of the caller\'s keys',
      description: 'Versions signed with it verify as invalid from then on.',
      params: z.object({ keyid: z.string() }),
      responses: { 204: { description: 'Revoked' } },
    },
    async ({ params, principal }, _req, reply) => {
      await keys.revokeKey(principal, params.keyid);
      return reply.code(204).send();
    },
  );

  catalog.route(
    app,
    {
      method: 'POST',
      url: '/trust/revocations',
      tag,
      access: 'user',
      summary: 'Revoke a published version',
      description: 'By an owner of the package: the catalog marks the version revoked, with the reason.',
      body: RevokeBodySchema,
      responses: { 201: { description: 'Revoked', schema: TrustOkSchema } },
    },
    async ({ body, principal }, _req, reply) => {
      await trust.revoke(principal, body);
      return reply.code(201).send({ ok: true });
    },
  );

  catalog.route(
    app,
    {
      method: 'PUT',
      url: '/trust/policies/:scope',
      tag,
      access: 'user',
      summary: "Set a scope's signature policy",
      description: 'Whether versions in the scope must be signed with a registered key. Admins may set any scope\'s (`*` is the registry default); other users only that of a scope they own.',
      params: z.object({ scope: z.string() }),
      body: SignaturePolicyBodySchema,
      responses: { 200: { description: 'The scope (without `@`) and its policy now', schema: SignaturePolicySchema } },
    },
    async ({ params, body, principal }): Promise<SignaturePolicy> => {
      // The permission table says who may set any scope's policy; other callers may only set that of a
      // scope they own, which the service checks (and answers 401 for anonymous callers).
      if (principal && roleMay(principal.role, 'signature-policies.set')) authorize(principal, 'signature-policies.set');
      const scope = params.scope.replace(/^@/, '');
      await keys.setPolicy(principal, scope, body.requireSignature);
      return { scope, requireSignature: body.requireSignature };
    },
  );

  const provenance = async (name: string, version: string) => records.provenance(name, version);
  app.get<{ Params: { name: string; version: string } }>('/plugins/:name/:version/provenance.json', async (req, reply) =>
    reply.header('cache-control', IMMUTABLE_CACHE).send(await provenance(req.params.name, req.params.version)),
  );
  app.get<{ Params: { scope: string; name: string; version: string } }>('/plugins/:scope/:name/:version/provenance.json', async (req, reply) =>
    reply.header('cache-control', IMMUTABLE_CACHE).send(await provenance(`${req.params.scope}/${req.params.name}`, req.params.version)),
  );
}
