import type { FastifyInstance } from 'fastify';
import { SessionRequestSchema, SessionSchema } from '@wharf/core';
import type { ApiCatalog } from '../docs/api-catalog.js';
import { installRateLimit, perMinute } from '../http.js';
import type { AuthService } from './auth-service.js';

/** Console sign-in and sign-out: bearer tokens the console keeps in sessionStorage, never cookies. */
export async function sessionRoutes(app: FastifyInstance, { auth, catalog, loginRateLimit }: { auth: AuthService; catalog: ApiCatalog; loginRateLimit: number }): Promise<void> {
  await installRateLimit(app, 'sign-in attempts');
  catalog.route(
    app,
    {
      method: 'POST',
      url: '/api/v1/sessions',
      tag: 'users',
      access: 'public',
      summary: 'Sign in with a password',
      description: 'An existing account only (a name nobody has is refused, never registered). The token expires in 12 hours; failed passwords count toward the same limits as every other password check.',
      body: SessionRequestSchema,
      options: { config: perMinute(loginRateLimit) },
      responses: { 201: { description: 'A bearer token for the session', schema: SessionSchema }, 401: { description: 'Wrong name or password' }, 429: { description: 'Too many failed attempts' } },
    },
    async ({ body }, request, reply) => {
      const session = await auth.createSession(body.name, body.password, request.ip);
      reply.code(201);
      return session;
    },
  );
  catalog.route(
    app,
    {
      method: 'DELETE',
      url: '/api/v1/sessions/current',
      tag: 'users',
      access: 'user',
      summary: 'Sign out: revoke the token of this request',
      responses: { 204: { description: 'Revoked' } },
    },
    async ({ principal }, _request, reply) => {
      await auth.endSession(principal!);
      reply.code(204);
    },
  );
}
