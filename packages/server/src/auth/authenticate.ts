import type { FastifyInstance } from 'fastify';
import type { AuthService } from './auth-service.js';
import type { Principal } from './principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, or null for anonymous requests and unknown or expired tokens. */
    principal: Principal | null;
  }
}

/** Resolves the caller once per request, before any route runs; anonymous requests cost nothing. */
export function installAuthentication(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header) request.principal = await auth.authenticate(header, request.ip);
  });
}
