import { keyIdOf, publicKeyOf, type RegisterKeyBody, type RegisteredKey } from '@wharf/core';
import { forbidden, notFound } from '../errors.js';
import { isAdmin, requireUser, requireWriter, type Principal } from '../access/principal.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { TrustRepository } from './trust-repository.js';

/**
 * Publisher keys and signature policy: which Ed25519 keys may sign a user's publishes (register,
 * list, revoke) and which scopes require signed publishes. The publish check reads both
 * (PublishRecords.checkPublish); nothing here signs.
 */
export class PublisherKeys {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly repo: TrustRepository,
    private readonly audit: AuditLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async registerKey(principal: Principal | null, body: RegisterKeyBody): Promise<RegisteredKey> {
    const caller = requireWriter(principal);
    const keyid = await keyIdOf(publicKeyOf(body.public));
    const row = { keyid, user_id: caller.userId, public_key: body.public, name: body.name ?? null, created_at: this.now().toISOString(), revoked_at: null };
    if (!(await this.db.transaction().execute((trx) => this.repo.addKey(trx, row)))) {
      const existing = await this.repo.key(keyid);
      if (existing?.user_id !== caller.userId) throw forbidden(`key ${keyid} is registered to another user`);
      return toRegistered(existing);
    }
    return toRegistered(row);
  }

  async keysOf(principal: Principal | null): Promise<RegisteredKey[]> {
    return (await this.repo.keysOf(requireUser(principal).userId)).map(toRegistered);
  }

  /** Revokes a publisher key (its owner or an admin); revoking a revoked key changes nothing. */
  async revokeKey(principal: Principal | null, keyid: string): Promise<void> {
    const caller = requireWriter(principal);
    const key = await this.repo.key(keyid);
    if (!key || (key.user_id !== caller.userId && !isAdmin(caller))) throw notFound(`no key ${keyid} of yours`);
    const at = this.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      if (!(await this.repo.revokeKey(trx, keyid, at))) return;
      const owner = key.user_id === caller.userId ? caller.name : await this.repo.userName(key.user_id, trx);
      await this.audit.record({ actor: caller.name, action: 'trust.revoke-key', target: `key:${keyid}`, before: { owner, name: key.name, revokedAt: null }, after: { owner, name: key.name, revokedAt: at } }, trx);
    });
  }

  /** Sets whether a scope (`*`: the whole registry) requires signed publishes; setting the policy in force changes nothing. */
  async setPolicy(principal: Principal | null, scope: string, requireSignature: boolean): Promise<void> {
    const caller = requireWriter(principal);
    if (!isAdmin(caller)) {
      const owner = scope === '*' ? null : await this.repo.scopeOwner(scope);
      if (owner !== caller.userId) throw forbidden(`only an admin or the owner of @${scope} may set its signature policy`);
    }
    await this.db.transaction().execute(async (trx) => {
      const before = await this.repo.policy(scope, trx);
      if (before === requireSignature) return;
      await this.repo.setPolicy(trx, scope, requireSignature, caller.name, this.now().toISOString());
      await this.audit.record({ actor: caller.name, action: 'signature-policies.set', target: `signature-policy:${scope}`, before: before === null ? null : { requireSignature: before }, after: { requireSignature } }, trx);
    });
  }
}

const toRegistered = (r: { keyid: string; public_key: string; name: string | null; created_at: string; revoked_at: string | null }): RegisteredKey => ({
  keyid: r.keyid,
  public: r.public_key,
  name: r.name,
  created_at: r.created_at,
  revoked_at: r.revoked_at,
});
