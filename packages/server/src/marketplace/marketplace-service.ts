import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import semver from 'semver';
import type { PluginListing, PluginListingInput, PluginVersion, Report, ReportInput, ReportResolution, Review, ReviewInput, SearchParams, SearchResult } from '@wharf/core';
import type { MetadataStore } from '../storage/metadata-store.js';
import type { Database } from '../storage/schema.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { SearchDocument } from '../storage/search/search-index.js';
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import { isAdmin, requireActor, requireUser, requireWriter, type Principal } from '../access/principal.js';
import { MarketplaceRepository, type PluginRow, type ReportRow, type ReviewWithAuthor } from './marketplace-repository.js';
import { compatibilityOf, hostVersionLimit } from './compatibility.js';
import type { AuditLog } from '../audit/audit-log.js';

/**
 * Listings, reviews, installs and moderation, independent of HTTP.
 *
 * Who may list: any authenticated user allowed to publish (not a reader, not a read-only token).
 * A listing that names a registry `package` must be created by an owner of that package (or an
 * admin), and a package backs at most one listing. New listings wait in `pending` until an admin
 * approves them; an admin's own listings are published at once. Only published listings are
 * searchable, installable and reviewable; pending and suspended ones are visible to their owner and
 * to admins only (404 for everyone else, so that moderation does not leak).
 */
export class MarketplaceService {
  readonly repo: MarketplaceRepository;

  constructor(
    private readonly store: MetadataStore,
    private readonly registry: RegistryService,
    private readonly audit: AuditLog,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repo = new MarketplaceRepository(store.db);
  }

  /**
   * `vouched` is for the server's own listings that the operator asked for (the bundled samples of
   * `wharf serve --samples`): published at once like an admin's. HTTP callers never set it.
   */
  async createListing(principal: Principal | null, input: PluginListingInput, vouched = false): Promise<PluginListing> {
    const caller = requireWriter(principal);
    if (input.package !== undefined) {
      if (!(await this.store.packages.getPackage(input.package))) throw notFound(`package ${input.package} does not exist: publish it first`);
      if (!isAdmin(caller) && !(await this.store.packages.isOwner(input.package, caller.userId))) {
        throw forbidden(`only an owner of ${input.package} may list it`);
      }
      const listed = await this.repo.listingForPackage(input.package);
      if (listed) throw conflict(`package ${input.package} is already listed as ${listed.id}`);
    }
    const now = this.now().toISOString();
    const row: PluginRow = {
      id: input.id,
      name: input.name,
      description: input.description,
      category: input.category,
      package: input.package ?? null,
      tags: JSON.stringify([...new Set(input.tags)]),
      homepage: input.homepage ?? null,
      icon: input.icon ?? null,
      screenshots: JSON.stringify(input.screenshots),
      publisher: input.publisher ?? null,
      owner_id: caller.userId,
      state: isAdmin(caller) || vouched ? 'published' : 'pending',
      installs: 0,
      created_at: now,
      updated_at: now,
    };
    if (!(await this.repo.createListing(row))) {
      throw conflict(input.package !== undefined && (await this.repo.listingForPackage(input.package)) ? `package ${input.package} is already listed` : `plugin ${input.id} already exists`);
    }
    await this.reindex(row);
    return this.present(row);
  }

  /** The listing as its caller may see it. */
  async listing(principal: Principal | null, id: string): Promise<PluginListing> {
    return this.present(await this.visible(principal, id));
  }

  async versions(principal: Principal | null, id: string): Promise<{ id: string; package: string | null; versions: PluginVersion[] }> {
    const row = await this.visible(principal, id);
    if (!row.package) return { id, package: null, versions: [] };
    const [doc, signatures] = await Promise.all([this.registry.document(row.package), this.repo.signatures(row.package)]);
    if (!doc) return { id, package: row.package, versions: [] };
    const tagsOf = (version: string) => Object.entries(doc.tags).filter(([, v]) => v === version).map(([t]) => t).sort();
    const versions = [...doc.versions]
      .sort((a, b) => semver.rcompare(a.version, b.version))
      .map((v) => ({
        version: v.version,
        publishedAt: v.published_at,
        deprecated: v.deprecated,
        tags: tagsOf(v.version),
        compatibility: compatibilityOf(JSON.parse(v.manifest) as Record<string, unknown>),
        signature: { status: signatures.get(v.version) ?? 'unsigned' },
        sbom: { url: `/plugins/${row.package}/${v.version}/sbom.json` },
      }));
    return { id, package: row.package, versions };
  }

  /** Counts an install of a published plugin. Nothing about the caller is recorded. */
  async countInstall(id: string): Promise<{ id: string; installs: number }> {
    const row = await this.published(id);
    const installs = await this.repo.countInstall(row.id);
    await this.store.search.setCounters('plugin', row.id, { popularity: installs });
    return { id: row.id, installs };
  }

  async search(params: SearchParams): Promise<SearchResult> {
    const req = { ...params, offset: (params.page - 1) * params.size, limit: params.size };
    const { hits, total, facets } = await this.store.search.searchWithFacets('plugin', req);
    return { hits, total, facets };
  }

  async reviews(id: string, page: number, size: number): Promise<{ reviews: Review[]; total: number }> {
    const row = await this.published(id);
    const { rows, total } = await this.repo.listReviews(row.id, (page - 1) * size, size);
    return { reviews: rows.map(presentReview), total };
  }

  async addReview(principal: Principal | null, id: string, input: ReviewInput): Promise<Review> {
    const caller = this.reviewer(principal);
    const row = await this.published(id);
    if (row.owner_id === caller.userId) throw forbidden('you cannot review your own plugin');
    const now = this.now().toISOString();
    const review = { id: randomUUID(), plugin_id: row.id, user_id: caller.userId, rating: input.rating, title: input.title || null, body: input.body, hidden: 0, created_at: now, updated_at: now };
    if (!(await this.repo.insertReview(review))) throw conflict(`you already reviewed ${row.id}: change your review with PUT`);
    await this.refreshRating(row.id);
    return presentReview({ ...review, author: caller.name });
  }

  async updateReview(principal: Principal | null, id: string, input: ReviewInput): Promise<Review> {
    const caller = this.reviewer(principal);
    const row = await this.published(id);
    const review = await this.repo.reviewByUser(row.id, caller.userId);
    if (!review) throw notFound(`you have not reviewed ${row.id}: create a review with POST`);
    const change = { rating: input.rating, title: input.title || null, body: input.body, updated_at: this.now().toISOString() };
    await this.repo.updateReview(review.id, change);
    await this.refreshRating(row.id);
    return presentReview({ ...review, ...change, author: caller.name });
  }

  async deleteReview(principal: Principal | null, id: string): Promise<void> {
    const caller = this.reviewer(principal);
    const row = await this.visible(caller, id);
    const review = await this.repo.reviewByUser(row.id, caller.userId);
    if (!review) throw notFound(`you have not reviewed ${row.id}`);
    await this.repo.deleteReview(review.id);
    await this.refreshRating(row.id);
  }

  async report(principal: Principal | null, id: string, input: ReportInput): Promise<Report> {
    const caller = requireActor(principal);
    const row = await this.published(id);
    if (input.reviewId !== undefined) {
      const review = await this.repo.getReview(input.reviewId);
      if (!review || review.plugin_id !== row.id || review.hidden) throw notFound(`review ${input.reviewId} of ${row.id} not found`);
    }
    const report: ReportRow = {
      id: randomUUID(),
      plugin_id: row.id,
      review_id: input.reviewId ?? null,
      reporter_id: caller.userId,
      reason: input.reason,
      details: input.details,
      state: 'open',
      resolution: null,
      resolved_by: null,
      created_at: this.now().toISOString(),
      resolved_at: null,
    };
    await this.repo.insertReport(report);
    return presentReport(report);
  }

  async reports(principal: Principal | null, state: 'open' | 'resolved', page: number, size: number): Promise<{ reports: Report[]; total: number }> {
    this.requireAdmin(principal, 'read');
    const { rows, total } = await this.repo.listReports(state, (page - 1) * size, size);
    return { reports: rows.map(presentReport), total };
  }

  /**
   * Dismiss keeps the content; hide-review hides the reported review; suspend-plugin takes the plugin
   * off the marketplace. Audited as `moderation.resolve-report`, plus a row for the review hidden or
   * the listing suspended, in the transaction that makes the change.
   */
  async resolveReport(principal: Principal | null, reportId: string, resolution: ReportResolution): Promise<Report> {
    const admin = this.requireAdmin(principal);
    const now = this.now().toISOString();
    const { report, hidden, suspended } = await this.store.db.transaction().execute(async (trx) => {
      const report = await this.repo.getReport(reportId, trx);
      if (!report) throw notFound(`report ${reportId} not found`);
      if (report.state !== 'open') throw conflict(`report ${reportId} is already resolved (${report.resolution})`);
      if (resolution.action === 'hide-review' && !report.review_id) throw badRequest('this report is about a plugin, not a review: dismiss it or suspend the plugin');
      if (!(await this.repo.resolveReport(trx, report.id, resolution.action, admin.userId, now))) throw conflict(`report ${reportId} was resolved meanwhile`);
      await this.audit.record({ actor: admin.name, action: 'moderation.resolve-report', target: `report:${report.id}`, before: { state: 'open' }, after: { state: 'resolved', resolution: resolution.action } }, trx);
      let hidden = false;
      if (resolution.action === 'hide-review' && (await this.repo.hideReview(trx, report.review_id!))) {
        await this.audit.record({ actor: admin.name, action: 'moderation.hide-review', target: `review:${report.review_id}`, before: { hidden: false }, after: { hidden: true } }, trx);
        hidden = true;
      }
      const suspended = resolution.action === 'suspend-plugin' ? await this.changeState(trx, admin, report.plugin_id, 'suspended', now) : null;
      return { report, hidden, suspended };
    });
    if (hidden) await this.refreshRating(report.plugin_id);
    if (suspended) await this.reindex(suspended);
    return presentReport({ ...report, state: 'resolved', resolution: resolution.action, resolved_by: admin.userId, resolved_at: now });
  }

  async listingsByState(principal: Principal | null, state: 'pending' | 'published' | 'suspended', page: number, size: number): Promise<{ plugins: PluginListing[]; total: number }> {
    this.requireAdmin(principal, 'read');
    const { rows, total } = await this.repo.listingsByState(state, (page - 1) * size, size);
    return { plugins: await Promise.all(rows.map((r) => this.present(r))), total };
  }

  /** Approve (pending → published), suspend, or reinstate (suspended → published); the state in force changes nothing. */
  async setListingState(principal: Principal | null, id: string, state: 'published' | 'suspended'): Promise<PluginListing> {
    const admin = this.requireAdmin(principal);
    const now = this.now().toISOString();
    const changed = await this.store.db.transaction().execute((trx) => this.changeState(trx, admin, id, state, now));
    if (changed) await this.reindex(changed);
    return this.present(changed ?? (await this.repo.getListing(id))!);
  }

  /** Re-reads what the search document of a listing derives from (after a publish of its package). */
  async refreshListingOfPackage(pkg: string): Promise<void> {
    const row = await this.repo.listingForPackage(pkg);
    if (row) await this.reindex(row);
  }

  /**
   * Moves a listing to `state` inside the caller's transaction and audits it there as
   * `moderation.approve`, `.suspend` or `.reinstate`. Returns the changed row, or null when the
   * listing already was in that state; the caller reindexes after the commit.
   */
  private async changeState(trx: Transaction<Database>, admin: Principal, id: string, state: 'published' | 'suspended', now: string): Promise<PluginRow | null> {
    const row = await this.repo.getListing(id, trx);
    if (!row) throw notFound(`plugin ${id} not found`);
    if (row.state === state) return null;
    if (!(await this.repo.setState(trx, id, row.state, state, now))) throw conflict(`plugin ${id} changed state meanwhile: retry`);
    const verb = state === 'suspended' ? 'suspend' : row.state === 'pending' ? 'approve' : 'reinstate';
    await this.audit.record({ actor: admin.name, action: `moderation.${verb}`, target: `plugin:${id}`, before: { state: row.state }, after: { state } }, trx);
    return { ...row, state, updated_at: now };
  }

  /** Published listings are in the search index; others are not. */
  private async reindex(row: PluginRow): Promise<void> {
    if (row.state !== 'published') {
      await this.store.search.remove('plugin', row.id);
      return;
    }
    const [rating, latest] = await Promise.all([this.repo.rating(row.id), this.latestVersion(row)]);
    const doc: SearchDocument = {
      kind: 'plugin',
      ref: row.id,
      name: row.name,
      description: row.description,
      keywords: JSON.parse(row.tags) as string[],
      category: row.category,
      tags: JSON.parse(row.tags) as string[],
      package: row.package,
      popularity: Number(row.installs),
      ratingSum: rating.sum,
      ratingCount: rating.count,
      minHostVersion: latest?.minHostVersion ?? null,
      maxHostVersion: latest?.maxHostVersion ?? null,
      updatedAt: latest && latest.publishedAt > row.updated_at ? latest.publishedAt : row.updated_at,
    };
    await this.store.search.put(doc);
  }

  private async latestVersion(row: PluginRow): Promise<{ version: string; publishedAt: string; minHostVersion: string | null; maxHostVersion: string | null } | null> {
    if (!row.package) return null;
    const doc = await this.registry.document(row.package);
    const version = doc?.tags.latest ?? doc?.versions.at(-1)?.version;
    const v = doc?.versions.find((x) => x.version === version);
    if (!v) return null;
    const compatibility = compatibilityOf(JSON.parse(v.manifest) as Record<string, unknown>);
    return { version: v.version, publishedAt: v.published_at, minHostVersion: compatibility.minHostVersion, maxHostVersion: hostVersionLimit(compatibility.engines) };
  }

  private async refreshRating(id: string): Promise<void> {
    const rating = await this.repo.rating(id);
    await this.store.search.setCounters('plugin', id, { ratingSum: rating.sum, ratingCount: rating.count });
  }

  private async visible(principal: Principal | null, id: string): Promise<PluginRow> {
    const row = await this.repo.getListing(id);
    if (!row || (row.state !== 'published' && !isAdmin(principal) && principal?.userId !== row.owner_id)) throw notFound(`plugin ${id} not found`);
    return row;
  }

  private async published(id: string): Promise<PluginRow> {
    const row = await this.repo.getListing(id);
    if (!row || row.state !== 'published') throw notFound(`plugin ${id} not found`);
    return row;
  }

  private reviewer(principal: Principal | null): Principal {
    return requireActor(principal);
  }

  /** Reading the queues needs the admin role; acting on them also a token that may write. */
  private requireAdmin(principal: Principal | null, access: 'read' | 'write' = 'write'): Principal {
    const caller = requireUser(principal);
    if (access === 'read' ? caller.role !== 'admin' : !isAdmin(caller)) throw forbidden('moderation is for admins');
    return caller;
  }

  private async present(row: PluginRow): Promise<PluginListing> {
    const [rating, latest] = await Promise.all([this.repo.rating(row.id), this.latestVersion(row)]);
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      category: row.category as PluginListing['category'],
      package: row.package,
      tags: JSON.parse(row.tags) as string[],
      homepage: row.homepage,
      icon: row.icon,
      screenshots: JSON.parse(row.screenshots) as string[],
      publisher: row.publisher,
      state: row.state as PluginListing['state'],
      installs: Number(row.installs),
      rating: { average: rating.count > 0 ? Math.round((rating.sum / rating.count) * 100) / 100 : null, count: rating.count },
      latestVersion: latest?.version ?? null,
      minHostVersion: latest?.minHostVersion ?? null,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}

function presentReview(r: ReviewWithAuthor): Review {
  return { id: r.id, pluginId: r.plugin_id, author: r.user_id === null ? null : r.author, rating: r.rating, title: r.title, body: r.body, createdAt: r.created_at, updatedAt: r.updated_at };
}

function presentReport(r: ReportRow): Report {
  return {
    id: r.id,
    target: r.review_id ? 'review' : 'plugin',
    pluginId: r.plugin_id,
    reviewId: r.review_id,
    reason: r.reason,
    details: r.details,
    state: r.state as Report['state'],
    resolution: r.resolution,
    createdAt: r.created_at,
    resolvedAt: r.resolved_at,
  };
}
