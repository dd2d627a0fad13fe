import type { FastifyInstance } from 'fastify';
import { RoleUpdateSchema } from '@wharf/core';
import { parseBody } from '../http.js';
import { authorize } from './permissions.js';
import type { RoleService } from './role-service.js';

export async function accessRoutes(app: FastifyInstance, { roles }: { roles: RoleService }): Promise<void> {
  app.put<{ Params: { name: string } }>('/api/v1/users/:name/role', async (request) => {
    const p = authorize(request.principal, 'users.set-role');
    return roles.setRole(p.name, request.params.name, parseBody(RoleUpdateSchema, request.body).role);
  });
}
