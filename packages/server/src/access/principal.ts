import { ROLE_NAMES } from '@wharf/core';
import { forbidden, unauthorized } from '../errors.js';

export type Role = (typeof ROLE_NAMES)[number];

/** The weaker of two roles (ROLE_NAMES lists the strongest first). */
export function lesserRole(a: Role, b: Role): Role {
  return ROLE_NAMES.indexOf(a) >= ROLE_NAMES.indexOf(b) ? a : b;
}

/** Who is calling: a user through one of their tokens (or Basic auth), or the configured admin token. */
export interface Principal {
  userId: string;
  name: string;
  /** What the caller may do: the user's role, or less when the token is scoped to a lesser role. */
  role: Role;
  /** A read-only token: may read and identify itself, never write. */
  readonly: boolean;
  /** The token used, for audit; null for Basic auth. */
  tokenKey: string | null;
}

export function requireUser(principal: Principal | null): Principal {
  if (!principal) throw unauthorized();
  return principal;
}

/**
 * A caller changing something of its own (a review, a report, its tokens, its account): signed in and
 * not with a read-only token. Any role may.
 */
export function requireActor(principal: Principal | null): Principal {
  const p = requireUser(principal);
  if (p.readonly) throw forbidden('this token is read-only');
  return p;
}

/** A principal allowed to change registry data: not anonymous, not a read-only token, not a reader. */
export function requireWriter(principal: Principal | null): Principal {
  const p = requireActor(principal);
  if (p.role === 'reader') throw forbidden(`user ${p.name} has the reader role and cannot publish or change packages`);
  return p;
}

export function isAdmin(principal: Principal | null): boolean {
  return principal?.role === 'admin' && !principal.readonly;
}
