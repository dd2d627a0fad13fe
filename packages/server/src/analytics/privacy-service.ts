import type { UserDataExport } from '@wharf/core';
import { forbidden, notFound } from '../errors.js';
import { requireActor, requireUser, type Principal } from '../access/principal.js';
import { ADMIN_USER } from '../auth/auth-service.js';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { PrivacyRepository } from './privacy-repository.js';

/** GDPR access and erasure for the calling user (`/api/v1/users/me`). */
export class PrivacyService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly repo: PrivacyRepository,
    /**
     * The registry's change notification: erasure rewrites package documents behind its back, and
     * every replica's packument cache, the search results built from it and the CDN must drop them.
     */
    private readonly packageChanged: (name: string) => Promise<void>,
  ) {}

  async export(principal: Principal | null): Promise<UserDataExport> {
    const caller = requireUser(principal);
    const data = await this.repo.export(caller.userId);
    if (!data) throw notFound('your account no longer exists');
    return {
      user: { id: data.user.id, name: data.user.name, email: data.user.email, role: data.user.role, createdAt: data.user.created_at },
      tokens: data.tokens.map((t) => ({
        key: t.key,
        name: t.name,
        readonly: t.readonly === 1,
        role: t.role,
        cidrWhitelist: JSON.parse(t.cidr_whitelist) as string[],
        createdAt: t.created_at,
        expiresAt: t.expires_at,
      })),
      packages: data.packages,
      scopes: data.scopes,
      versions: data.versions.map((v) => ({ package: v.package, version: v.version, publishedAt: v.published_at })),
      signingKeys: data.keys.map((k) => ({ keyid: k.keyid, name: k.name, publicKey: k.public_key, createdAt: k.created_at, revokedAt: k.revoked_at })),
      provenance: data.provenance,
      listings: data.listings,
      reviews: data.reviews.map((r) => ({ id: r.id, pluginId: r.plugin_id, rating: r.rating, title: r.title, body: r.body, createdAt: r.created_at, updatedAt: r.updated_at })),
      reports: data.reports.map((r) => ({ id: r.id, pluginId: r.plugin_id, reviewId: r.review_id, reason: r.reason, details: r.details, createdAt: r.created_at })),
      audit: data.audit,
    };
  }

  async erase(principal: Principal | null): Promise<{ outcome: 'anonymised'; reviewsAnonymised: number; tokensRevoked: number; versionsAnonymised: number }> {
    const caller = requireActor(principal);
    if (caller.name === ADMIN_USER && caller.role === 'admin' && caller.tokenKey === 'admin-token') throw forbidden('the built-in admin account cannot be erased');
    const done = await this.db.transaction().execute((trx) => this.repo.anonymise(trx, caller.userId));
    if (!done) throw notFound('your account no longer exists');
    for (const name of done.changedPackages) await this.packageChanged(name);
    return { outcome: 'anonymised', reviewsAnonymised: done.reviewedPlugins.length, tokensRevoked: done.tokensRevoked, versionsAnonymised: done.versionsAnonymised };
  }
}
