import type { FastifyInstance } from 'fastify';
import type { AuthService } from './auth-service.js';
import type { Principal } from '../access/principal.js';
import { unauthorized } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, or null for anonymous requests and unknown or expired tokens. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** A write route anyone may call without a token (login, telemetry, flag evaluation). */
    anonymous?: boolean;
  }
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Resolves the caller once per request, before any route runs; anonymous requests cost nothing.
 * An anonymous write to a route that needs a caller is answered 401 here, from the headers alone:
 * its body (a publish may be 70 MB) is never read or parsed.
 */
export function installAuthentication(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header) request.principal = await auth.authenticate(header, request.ip);
    if (!request.principal && WRITES.has(request.method) && !request.is404 && request.routeOptions.config.anonymous !== true) throw unauthorized();
  });
}
