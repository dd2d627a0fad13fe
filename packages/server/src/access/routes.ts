import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { RoleUpdateSchema, UserRoleSchema } from '@wharf/core';
import type { ApiCatalog } from '../docs/api-catalog.js';
import type { RoleService } from './role-service.js';

export async function accessRoutes(app: FastifyInstance, { roles, catalog }: { roles: RoleService; catalog: ApiCatalog }): Promise<void> {
  catalog.route(
    app,
    {
      method: 'PUT',
      url: '/api/v1/users/:name/role',
      tag: 'users',
      access: 'users.set-role',
      summary: "Set a user's role",
      description: 'admin, release-manager, publisher or reader; takes effect at the user\'s next request and is audited.',
      params: z.object({ name: z.string() }),
      body: RoleUpdateSchema,
      responses: { 200: { description: 'The user and the new role', schema: UserRoleSchema } },
    },
    ({ params, body, principal }) => roles.setRole(principal.name, params.name, body.role),
  );
}
