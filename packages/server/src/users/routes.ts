import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MeSchema, RoleUpdateSchema, UserListSchema, UserRoleSchema } from '@wharf/core';
import { requireUser } from '../access/principal.js';
import { permissionsOf } from '../access/permissions.js';
import type { ApiCatalog } from '../docs/api-catalog.js';
import type { RoleService } from './role-service.js';

export async function accessRoutes(app: FastifyInstance, { roles, catalog }: { roles: RoleService; catalog: ApiCatalog }): Promise<void> {
  catalog.route(
    app,
    { method: 'GET', url: '/api/v1/users', tag: 'users', access: 'users.read', summary: 'Every account and its role', responses: { 200: { description: 'The accounts, oldest first', schema: UserListSchema } } },
    async () => ({ users: await roles.users() }),
  );
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
  catalog.route(
    app,
    {
      method: 'GET',
      url: '/api/v1/me',
      tag: 'users',
      access: 'user',
      summary: 'Who the caller is and what it may do',
      description: 'The role the token acts with, whether it is read-only, and every control-plane permission it may use.',
      responses: { 200: { description: 'The caller', schema: MeSchema }, 401: { description: 'No valid token' } },
    },
    ({ principal }) => {
      const me = requireUser(principal);
      return { name: me.name, role: me.role, readonly: me.readonly, permissions: permissionsOf(me) };
    },
  );
}
