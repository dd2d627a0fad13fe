import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { SetupRequest, SetupResult } from '@wharf/core';
import type { Database } from '../storage/schema.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuthService } from '../auth/auth-service.js';
import type { UserRow } from '../storage/auth-repository.js';
import { isUniqueViolation } from '../storage/database.js';
import { hashPassword } from '../auth/passwords.js';
import { hashToken } from '../auth/tokens.js';
import { badRequest, conflict, forbidden } from '../errors.js';
import { SetupRepository } from './setup-repository.js';

/**
 * The first-run path: while no user holds the admin role, `wharf serve` prints a one-time token
 * with which one admin account can be created (`POST /api/v1/setup`, which
 * `wharf admin create` calls). Only the token's hash is stored, so each start issues a new one, which
 * replaces the last: a token copied from an old log no longer works.
 */
export class SetupService {
  private readonly repo: SetupRepository;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly auth: AuthService,
    private readonly audit: AuditLog,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repo = new SetupRepository(db);
  }

  /** True while no user has the admin role (the static admin token's user counts as one). */
  async needed(): Promise<boolean> {
    return !(await this.repo.hasAdmin());
  }

  /** A new one-time token (replacing any earlier one) while setup is needed; null once an admin exists. */
  async issueToken(): Promise<string | null> {
    if (!(await this.needed())) return null;
    const secret = `wharf_setup_${randomBytes(32).toString('base64url')}`;
    await this.repo.putToken(hashToken(secret), this.now().toISOString());
    return secret;
  }

  /**
   * Creates the first admin, consuming the token. Race-safe: consuming is a delete of the one token
   * row, which concurrent callers serialize on (row lock on PostgreSQL, one writer on SQLite); the
   * loser's delete finds nothing and, reading after the winner's commit, sees the admin: 409.
   */
  async createAdmin(request: SetupRequest): Promise<SetupResult> {
    const user: UserRow = {
      id: randomUUID(),
      name: request.name,
      email: request.email ?? null,
      password_hash: await hashPassword(request.password),
      role: 'admin',
      created_at: this.now().toISOString(),
    };
    await this.db.transaction().execute(async (trx) => {
      const consumed = await this.repo.consumeToken(trx, hashToken(request.token));
      if (await this.repo.hasAdmin(trx)) throw conflict('this registry already has an admin account: sign in with it (npm login) instead');
      if (!consumed) throw forbidden('wrong setup token: use the one printed by the latest `wharf serve` start (each start replaces the last)');
      await this.insertUser(trx, user);
      await this.audit.record({ actor: user.name, action: 'users.create-admin', target: `user:${user.name}`, before: null, after: { role: 'admin', via: 'first-run setup' } }, trx);
    });
    const issued = await this.auth.issueToken(user, { readonly: false, name: 'first-run setup' });
    return { name: user.name, role: 'admin', token: issued.token };
  }

  private async insertUser(trx: Transaction<Database>, user: UserRow): Promise<void> {
    try {
      await this.repo.insertUser(trx, user);
    } catch (err) {
      // The token stays unconsumed (the transaction rolls back): the caller may pick another name.
      if (isUniqueViolation(err)) throw badRequest(`user ${user.name} already exists: choose another name for the admin account`);
      throw err;
    }
  }
}
