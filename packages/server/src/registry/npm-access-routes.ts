import type { FastifyInstance } from 'fastify';
import { PackageAccessBodySchema } from '@wharf/core';
import type { RegistryService } from './registry-service.js';
import { notFound } from '../errors.js';
import { packageRoute, parseBody } from '../http.js';

/** npm prints `write` as read-write; every owner of a Wharf package may publish it. */
const writable = (names: string[]) => Object.fromEntries(names.map((n) => [n, 'write']));
const NO_TEAMS = 'teams are not offered by this registry: every package owner can publish (npm owner add <user> <package>)';

/** What `npm access` asks (libnpmaccess): packages by owner or scope, collaborators, visibility, settings. */
export async function npmAccessRoutes(app: FastifyInstance, { registry }: { registry: RegistryService }): Promise<void> {
  // `npm access list packages [@scope|user]` asks the org first and, on 404, the user.
  app.get<{ Params: { scope: string } }>('/-/org/:scope/package', async (request) => writable(await registry.packagesInScope(request.params.scope)));
  app.get<{ Params: { user: string } }>('/-/user/:user/package', async (request) => writable(await registry.packagesOwnedBy(request.params.user)));

  packageRoute(app, 'GET', '/-/package', '/collaborators', async (name) => writable(await registry.owners(name)));
  packageRoute(app, 'GET', '/-/package', '/visibility', async (name) => {
    await registry.owners(name);
    return { public: true };
  });
  packageRoute(app, 'POST', '/-/package', '/access', async (name, request) => {
    await registry.setAccess(request.principal, name, parseBody(PackageAccessBodySchema, request.body, 'access settings'));
    return { ok: true };
  });

  app.route({
    method: ['GET', 'PUT', 'DELETE'],
    url: '/-/team/:scope/:team/package',
    handler: async () => {
      throw notFound(NO_TEAMS);
    },
  });
}
