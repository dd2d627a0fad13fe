import type { FastifyInstance } from 'fastify';
import { CouchUserSchema, TokenCreateSchema } from '@wharf/core';
import type { AuthService } from './auth-service.js';
import { requireActor, requireUser, requireWriter } from '../access/principal.js';
import { badRequest, forbidden, notFound } from '../errors.js';
import { installRateLimit, parseBody, perMinute } from '../http.js';

export interface AuthRoutesOptions {
  auth: AuthService;
  loginRateLimit: number;
}

const COUCH_PREFIX = 'org.couchdb.user:';
/** What a token shows as its name when none was given (npm login, npm token create without --name). */
const UNNAMED = '(no name)';

/** Accounts and tokens as the npm CLI speaks them: adduser/login, whoami, token list/create/revoke. */
export async function authRoutes(app: FastifyInstance, { auth, loginRateLimit }: AuthRoutesOptions): Promise<void> {
  await installRateLimit(app, 'login attempts');
  const limited = perMinute(loginRateLimit);

  app.put<{ Params: { id: string } }>('/-/user/:id', { config: { ...limited, anonymous: true } }, async (request, reply) => {
    const name = couchName(request.params.id);
    const body = parseBody(CouchUserSchema, request.body);
    if (body.name !== name) throw badRequest(`the body names user ${body.name} but the URL names ${name}`);
    const { token, created } = await auth.loginOrRegister(name, body.password, body.email, request.principal, request.ip);
    reply.code(201);
    return { ok: created ? `user '${name}' created` : `you are authenticated as '${name}'`, id: `${COUCH_PREFIX}${name}`, token };
  });

  app.get<{ Params: { id: string } }>('/-/user/:id', async (request) => {
    const caller = requireUser(request.principal);
    const name = couchName(request.params.id);
    if (caller.name !== name && caller.role !== 'admin') throw forbidden('you may only read your own account');
    const user = await auth.getUserByName(name);
    if (!user) throw notFound(`user ${name} not found`);
    return { _id: `${COUCH_PREFIX}${name}`, name: user.name, email: user.email ?? undefined, type: 'user', roles: [] };
  });

  // npm 11 tries web login first; a 4xx makes it fall back to the couch flow above.
  app.post('/-/v1/login', { config: { anonymous: true } }, async () => {
    throw notFound('web login is not offered by this registry: use npm login --auth-type=legacy');
  });

  app.get('/-/whoami', async (request) => ({ username: requireUser(request.principal).name }));

  app.get('/-/npm/v1/tokens', async (request) => {
    const caller = requireUser(request.principal);
    const rows = await auth.listTokens(caller);
    return {
      objects: rows.map((t) => ({
        key: t.key,
        // The secret's first characters only: npm token list prints them followed by "…".
        token: t.token_prefix,
        name: t.name ?? UNNAMED,
        created: t.created_at,
        updated: t.created_at,
        expires: t.expires_at ?? undefined,
        readonly: t.readonly === 1,
        cidr_whitelist: nullIfEmpty(JSON.parse(t.cidr_whitelist) as string[]),
        role: t.role,
      })),
      total: rows.length,
      urls: {},
    };
  });

  app.post('/-/npm/v1/tokens', { config: limited }, async (request, reply) => {
    const caller = requireWriter(request.principal);
    const body = parseBody(TokenCreateSchema, request.body);
    const user = await auth.checkPassword(caller, body.password ?? undefined, request.ip);
    const expiresInDays = body.expires == null ? undefined : Number(body.expires);
    if (expiresInDays !== undefined && (!Number.isFinite(expiresInDays) || expiresInDays <= 0)) throw badRequest('expires must be a positive number of days');
    const role = auth.tokenScope(caller, user, body.role ?? null);
    const issued = await auth.issueToken(user, { readonly: body.readonly ?? false, cidr: body.cidr_whitelist ?? [], name: body.name ?? undefined, expiresInDays, role });
    reply.code(201);
    return {
      token: issued.token,
      key: issued.key,
      name: issued.row.name ?? undefined,
      created: issued.row.created_at,
      expires: issued.row.expires_at ?? undefined,
      readonly: issued.row.readonly === 1,
      cidr_whitelist: body.cidr_whitelist ?? [],
      role: issued.row.role,
    };
  });

  // npm logout (and yarn 1 after a password publish) revoke the token they hold, by its value. A
  // read-only token may revoke itself, nothing else.
  app.delete<{ Params: { token: string } }>('/-/user/token/:token', { config: { secretParams: ['token'] } }, async (request) => {
    const caller = requireUser(request.principal);
    const itself = request.headers.authorization === `Bearer ${request.params.token}`;
    if (caller.readonly && !itself) throw forbidden('this token is read-only: it may revoke itself only');
    if (!(await auth.revokeToken(caller, request.params.token))) throw notFound('no such token of yours');
    return { ok: true };
  });

  app.delete<{ Params: { key: string } }>('/-/npm/v1/tokens/token/:key', async (request, reply) => {
    const caller = requireActor(request.principal);
    if (!(await auth.revokeToken(caller, request.params.key))) throw notFound('no such token');
    reply.code(204);
  });
}

/** As npm's registry lists it: null when unrestricted (npm token list would print an empty "with IP whitelist:"). */
const nullIfEmpty = (ranges: string[]) => (ranges.length > 0 ? ranges : null);

function couchName(id: string): string {
  if (!id.startsWith(COUCH_PREFIX) || id.length === COUCH_PREFIX.length) throw badRequest(`expected /-/user/${COUCH_PREFIX}<name>`);
  return id.slice(COUCH_PREFIX.length);
}
