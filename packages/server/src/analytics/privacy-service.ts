import type { UserDataExport } from '@wharf/core';
import { forbidden, notFound } from '../errors.js';
import { requireUser, type Principal } from '../auth/principal.js';
import { ADMIN_USER } from '../auth/auth-service.js';
import type { PrivacyRepository } from './privacy-repository.js';

/** GDPR access and erasure for the calling user (`/api/v1/users/me`). */
export class PrivacyService {
  constructor(private readonly repo: PrivacyRepository) {}

  async export(principal: Principal | null): Promise<UserDataExport> {
    const caller = requireUser(principal);
    const data = await this.repo.export(caller.userId);
    if (!data) throw notFound('your account no longer exists');
    return {
      user: { id: data.user.id, name: data.user.name, email: data.user.email, role: data.user.role, createdAt: data.user.created_at },
      tokens: data.tokens.map((t) => ({ key: t.key, name: t.name, readonly: t.readonly === 1, createdAt: t.created_at, expiresAt: t.expires_at })),
      packages: data.packages,
      listings: data.listings,
      reviews: data.reviews.map((r) => ({ id: r.id, pluginId: r.plugin_id, rating: r.rating, title: r.title, body: r.body, createdAt: r.created_at, updatedAt: r.updated_at })),
      reports: data.reports.map((r) => ({ id: r.id, pluginId: r.plugin_id, reviewId: r.review_id, reason: r.reason, details: r.details, createdAt: r.created_at })),
    };
  }

  async erase(principal: Principal | null): Promise<{ outcome: 'anonymised'; reviewsAnonymised: number; tokensRevoked: number }> {
    const caller = requireUser(principal);
    if (caller.readonly) throw forbidden('a read-only token cannot erase an account');
    if (caller.name === ADMIN_USER && caller.role === 'admin' && caller.tokenKey === 'admin-token') throw forbidden('the built-in admin account cannot be erased');
    const done = await this.repo.anonymise(caller.userId);
    if (!done) throw notFound('your account no longer exists');
    return { outcome: 'anonymised', reviewsAnonymised: done.reviewedPlugins.length, tokensRevoked: done.tokensRevoked };
  }
}
