import { blockListOf, listed, parseCidr } from '../net/address-ranges.js';
import { randomUUID } from 'node:crypto';
import { MIN_PASSWORD_LENGTH } from '@wharf/core';
import type { AuthRepository, TokenRow, UserRow } from '../storage/auth-repository.js';
import { badRequest, conflict, forbidden, unauthorized } from '../errors.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { PasswordGuard } from './password-guard.js';
import { hashToken, newTokenSecret } from './tokens.js';
import type { Principal, Role } from '../access/principal.js';
import { isAdmin, lesserRole } from '../access/principal.js';

export interface AuthOptions {
  openRegistration: boolean;
  adminToken?: string | undefined;
  /** Failed password checks per client address per minute (default 20). */
  passwordFailuresPerAddress?: number;
  /** Failed password checks per user name per minute, from any address (default 10). */
  passwordFailuresPerUser?: number;
  now?: () => Date;
}

export interface IssuedToken {
  token: string;
  key: string;
  row: TokenRow;
}

/** The user that the static admin token acts as: owns what automation publishes. */
export const ADMIN_USER = 'admin';
/** The name of the token an npm login (adduser, yarn login) creates, as npm token list shows it. */
const LOGIN_TOKEN_NAME = 'npm login';
/** Console sessions: named so in token lists, and short-lived (the console keeps them in sessionStorage). */
const SESSION_TOKEN_NAME = 'console session';
const SESSION_DAYS = 0.5;

/** Accounts, passwords and tokens, independent of HTTP. */
export class AuthService {
  private readonly now: () => Date;
  private readonly guard: PasswordGuard;
  private adminPrincipal: Principal | null = null;

  constructor(
    private readonly repo: AuthRepository,
    private readonly options: AuthOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.guard = new PasswordGuard({ perAddress: options.passwordFailuresPerAddress ?? 20, perUser: options.passwordFailuresPerUser ?? 10, windowMs: 60_000 }, () => this.now().getTime());
  }

  /** Creates the built-in admin user when an admin token is configured, so admin publishes have an owner. */
  async init(): Promise<void> {
    if (!this.options.adminToken) return;
    const user = (await this.ensureSystemUser(ADMIN_USER, 'admin'));
    this.adminPrincipal = { userId: user.id, name: user.name, role: 'admin', readonly: false, tokenKey: 'admin-token' };
  }

  /** A user that cannot log in (no usable password), for the server's own work such as sample plugins. */
  async ensureSystemUser(name: string, role: Role): Promise<UserRow> {
    const existing = await this.repo.getUserByName(name);
    if (existing) return existing;
    const row: UserRow = { id: randomUUID(), name, email: null, password_hash: '!', role, created_at: this.now().toISOString() };
    if (!(await this.repo.createUser(row))) return (await this.repo.getUserByName(name))!;
    return row;
  }

  /**
   * `npm adduser` / `npm login` (couch flow): creates the account when the name is free (if registration
   * is open, or an admin asks), logs in when the password matches, and issues a fresh token either way.
   */
  async loginOrRegister(name: string, password: string, email: string | undefined, caller: Principal | null, ip: string): Promise<{ token: string; created: boolean }> {
    const existing = await this.repo.getUserByName(name);
    if (existing) {
      if (!(await this.passwordMatches(name, existing, password, ip))) throw unauthorized(`wrong user name or password for ${name}`);
      return { token: (await this.issueToken(existing, { readonly: false, name: LOGIN_TOKEN_NAME })).token, created: false };
    }
    if (!this.options.openRegistration && !isAdmin(caller)) throw forbidden('registration is closed on this registry: ask an administrator for an account');
    if (password.length < MIN_PASSWORD_LENGTH) throw badRequest(`password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    const user: UserRow = {
      id: randomUUID(),
      name,
      email: email ?? null,
      password_hash: await hashPassword(password),
      role: 'publisher',
      created_at: this.now().toISOString(),
    };
    if (!(await this.repo.createUser(user))) throw conflict(`user ${name} already exists`);
    return { token: (await this.issueToken(user, { readonly: false, name: LOGIN_TOKEN_NAME })).token, created: true };
  }

  /**
   * The scope of a token that `caller` asks for: never above what the caller may do, so that a scoped
   * token cannot mint a stronger one. Unset, a scoped caller passes on its own scope; anyone else gets
   * none (the token acts with the user's role, as npm's tokens do).
   */
  tokenScope(caller: Principal, user: UserRow, requested: Role | null): Role | null {
    const ceiling = lesserRole(caller.role, user.role as Role);
    if (requested === null) return ceiling === user.role ? null : ceiling;
    if (lesserRole(requested, ceiling) !== requested) {
      const holder = ceiling === user.role ? `user ${user.name}` : 'the token you are using';
      throw forbidden(`cannot scope a token to ${requested}: ${holder} has the ${ceiling} role, and a token can only be scoped to that role or a lesser one`);
    }
    return requested;
  }

  async issueToken(user: UserRow, opts: { readonly: boolean; cidr?: string[]; name?: string; expiresInDays?: number; role?: Role | null }): Promise<IssuedToken> {
    const secret = newTokenSecret();
    const created = this.now();
    for (const range of opts.cidr ?? []) parseCidr(range);
    const row: TokenRow = {
      key: randomUUID(),
      user_id: user.id,
      token_hash: hashToken(secret),
      token_prefix: secret.slice(0, 12),
      readonly: opts.readonly ? 1 : 0,
      cidr_whitelist: JSON.stringify(opts.cidr ?? []),
      name: opts.name ?? null,
      created_at: created.toISOString(),
      expires_at: opts.expiresInDays ? new Date(created.getTime() + opts.expiresInDays * 86_400_000).toISOString() : null,
      role: opts.role ?? null,
    };
    await this.repo.createToken(row);
    return { token: secret, key: row.key, row };
  }

  /** Resolves an Authorization header; null when absent or not valid (the route decides whether that is fine). */
  async authenticate(header: string | undefined, ip: string): Promise<Principal | null> {
    if (!header) return null;
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'bearer') return this.fromToken(value, ip);
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return null;
      const name = decoded.slice(0, colon);
      const user = await this.repo.getUserByName(name);
      if (!(await this.passwordMatches(name, user, decoded.slice(colon + 1), ip)) || !user) return null;
      return { userId: user.id, name: user.name, role: user.role as Role, readonly: false, tokenKey: null };
    }
    return null;
  }

  private async fromToken(secret: string, ip: string): Promise<Principal | null> {
    if (this.adminPrincipal && this.options.adminToken && secret === this.options.adminToken) return this.adminPrincipal;
    const found = await this.repo.findToken(hashToken(secret));
    if (!found) return null;
    const { token, user } = found;
    if (token.expires_at && token.expires_at <= this.now().toISOString()) return null;
    const cidr = JSON.parse(token.cidr_whitelist) as string[];
    if (cidr.length > 0 && !ipAllowed(ip, cidr)) return null;
    // The user's current role, not the one at the token's creation: demoting a user limits their scoped tokens too.
    const role = token.role === null ? (user.role as Role) : lesserRole(user.role as Role, token.role as Role);
    return { userId: user.id, name: user.name, role, readonly: token.readonly === 1, tokenKey: token.key };
  }

  async checkPassword(principal: Principal, password: string | undefined, ip: string): Promise<UserRow> {
    const user = await this.repo.getUserById(principal.userId);
    if (!user) throw unauthorized();
    if (password === undefined || !(await this.passwordMatches(user.name, user, password, ip))) throw unauthorized('password is wrong or missing');
    return user;
  }

  /**
   * Signs in to the console: an existing account's password for a token that expires in 12 hours.
   * Unlike npm login, a name nobody has is refused, never registered.
   */
  async createSession(name: string, password: string, ip: string): Promise<{ name: string; token: string; expires: string }> {
    const user = await this.repo.getUserByName(name);
    if (!(await this.passwordMatches(name, user, password, ip)) || !user) throw unauthorized('wrong user name or password');
    const issued = await this.issueToken(user, { readonly: false, name: SESSION_TOKEN_NAME, expiresInDays: SESSION_DAYS });
    return { name: user.name, token: issued.token, expires: issued.row.expires_at! };
  }

  /** Signs out: revokes the token the caller used. */
  async endSession(principal: Principal): Promise<void> {
    if (principal.tokenKey) await this.repo.deleteToken(principal.userId, principal.tokenKey);
  }

  /**
   * Every password check goes through here: refused with 429 while the address or the name is over
   * the guard's limit, and as slow for an unknown name or an account without a password (system
   * users, erased accounts) as for a real one, so that timing does not tell which names exist.
   */
  private async passwordMatches(name: string, user: UserRow | null, password: string, ip: string): Promise<boolean> {
    this.guard.check(name, ip);
    const usable = user !== null && user.password_hash.startsWith('scrypt$');
    const ok = (await verifyPassword(password, usable ? user.password_hash : await this.decoyHash())) && usable;
    if (!ok) this.guard.failed(name, ip);
    return ok;
  }

  private decoy: Promise<string> | null = null;
  /** A hash of a random password, made once, checked against when there is no real hash to check. */
  private decoyHash(): Promise<string> {
    this.decoy ??= hashPassword(randomUUID());
    return this.decoy;
  }

  async getUser(principal: Principal): Promise<UserRow> {
    const user = await this.repo.getUserById(principal.userId);
    if (!user) throw unauthorized();
    return user;
  }

  listTokens(principal: Principal): Promise<TokenRow[]> {
    return this.repo.listTokens(principal.userId);
  }

  /** `npm token revoke` passes the key or the whole secret. */
  async revokeToken(principal: Principal, keyOrSecret: string): Promise<boolean> {
    const byKey = await this.repo.deleteToken(principal.userId, keyOrSecret);
    return byKey || this.repo.deleteToken(principal.userId, hashToken(keyOrSecret));
  }

  getUserByName(name: string): Promise<UserRow | null> {
    return this.repo.getUserByName(name);
  }
}

function ipAllowed(ip: string, ranges: string[]): boolean {
  return listed(blockListOf(ranges), ip);
}
