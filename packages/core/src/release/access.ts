import * as z from 'zod/mini';

/** Strongest first: each role may do what the ones after it may (a token scoped to a role acts with the lesser of it and its user's). */
export const ROLE_NAMES = ['admin', 'release-manager', 'publisher', 'reader'] as const;

/** Body of `PUT /api/v1/users/:name/role`. */
export const RoleUpdateSchema = z.object({ role: z.enum(ROLE_NAMES) });

export const UserRoleSchema = z.object({ name: z.string(), role: z.enum(ROLE_NAMES) });

/** `GET /api/v1/users`: every account with its role (system accounts, such as the samples' publisher, included). */
export const UserListSchema = z.object({ users: z.array(z.object({ name: z.string(), role: z.enum(ROLE_NAMES), createdAt: z.string() })) });
export type UserList = z.infer<typeof UserListSchema>;
