import type { Principal, Role } from './principal.js';
import { forbidden, unauthorized } from '../errors.js';

/**
 * Every control-plane action and the roles allowed to perform it: the one table every control-plane
 * route consults through `authorize`. `write` actions are also refused to read-only tokens.
 * Admins run the platform (users, audit, the config draft, supply-chain security: advisories,
 * vulnerability and signature policies, marketplace moderation); release managers decide what
 * clients receive (publish/rollback snapshots, the version gate, rollouts, flags); publishers and
 * readers act on the registry only.
 */
export const PERMISSIONS = {
  'audit.read': { roles: ['admin'], write: false },
  'users.read': { roles: ['admin'], write: false },
  'users.set-role': { roles: ['admin'], write: true },
  'snapshots.schema': { roles: ['admin'], write: true },
  'snapshots.draft': { roles: ['admin'], write: true },
  'snapshots.read-draft': { roles: ['admin'], write: false },
  'snapshots.publish': { roles: ['admin', 'release-manager'], write: true },
  'snapshots.history': { roles: ['admin', 'release-manager'], write: false },
  'release.read': { roles: ['admin', 'release-manager'], write: false },
  'release.set': { roles: ['admin', 'release-manager'], write: true },
  'rollouts.read': { roles: ['admin', 'release-manager'], write: false },
  'rollouts.write': { roles: ['admin', 'release-manager'], write: true },
  'flags.read': { roles: ['admin', 'release-manager'], write: false },
  'flags.write': { roles: ['admin', 'release-manager'], write: true },
  'sources.read': { roles: ['admin', 'release-manager'], write: false },
  'sources.write': { roles: ['admin', 'release-manager'], write: true },
  'advisories.import': { roles: ['admin'], write: true },
  'vulnerability-policies.read': { roles: ['admin'], write: false },
  'vulnerability-policies.set': { roles: ['admin'], write: true },
  /** Any scope's signature policy; a scope's owner may also set their own scope's (checked by ownership, not role). */
  'signature-policies.set': { roles: ['admin'], write: true },
  /** Installing the next root (key rotation): a new chain of trust for every client. */
  'trust.root': { roles: ['admin'], write: true },
  /** The queues (reports, listings by state): a read-only admin token may look. */
  'moderation.read': { roles: ['admin'], write: false },
  moderation: { roles: ['admin'], write: true },
} as const satisfies Record<string, { roles: readonly Role[]; write: boolean }>;

export type Permission = keyof typeof PERMISSIONS;

export function roleMay(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission].roles as readonly Role[]).includes(role);
}

/** Every permission `principal` may use, as `authorize` decides: what a console shows or hides. */
export function permissionsOf(principal: Principal): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => roleMay(principal.role, p) && !(PERMISSIONS[p].write && principal.readonly));
}

/** 401 for anonymous callers, 403 for a role without the right or a read-only token on a write. */
export function authorize(principal: Principal | null, permission: Permission): Principal {
  if (!principal) throw unauthorized();
  const rule = PERMISSIONS[permission];
  if (!roleMay(principal.role, permission)) throw forbidden(`role ${principal.role} may not ${permission} (allowed: ${rule.roles.join(', ')})`);
  if (rule.write && principal.readonly) throw forbidden('this token is read-only');
  return principal;
}
