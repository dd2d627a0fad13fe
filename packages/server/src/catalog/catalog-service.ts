import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { CATALOG_TYPE, signCatalog, type Catalog, type ClientFeatures } from '@wharf/core';
import type { DomainEvents } from '../events/domain-events.js';
import type { TrustService } from '../trust/trust-service.js';
import { CatalogBuilder } from './catalog-builder.js';
import { signNative } from '../trust/native-signer.js';
import type { CatalogRepository, CatalogRow } from './catalog-repository.js';

const gzipAsync = promisify(gzip);

const DAY = 24 * 3600 * 1000;

/** The signed catalog as served: bytes, their gzip, and a strong validator. */
export interface ServedCatalog {
  version: number;
  body: Buffer;
  gzip: Buffer;
  etag: string;
  expires: string;
}

export interface CatalogServiceOptions {
  /** How long a signed catalog is valid (default 1 day); re-signed when a quarter is left. */
  lifetimeMs?: number;
  /** Coalesces bursts of changes into one rebuild. */
  debounceMs?: number;
  /**
   * Safety net for changes no notice announces (listing edits and moderation): the catalog is
   * re-checked this often (default 30 s). Unchanged content costs a read, not a version.
   */
  recheckMs?: number;
  now?: () => Date;
}

/**
 * Keeps one signed catalog current. Any change notice (a package, the flag set, a rollout, a new
 * targets version, on any replica: change-steps.ts) marks it dirty and schedules a rebuild; readers wait for a
 * pending rebuild, so a client that just published sees its version. A rebuild whose content hash
 * equals the stored one keeps the stored version: the version grows only when content changes or
 * the signature nears expiry, and the database's primary key arbitrates between replicas.
 */
export class CatalogService {
  private readonly builder = new CatalogBuilder();
  private served: ServedCatalog | null = null;
  private building: Promise<ServedCatalog> | null = null;
  private dirty = true;
  private timer: NodeJS.Timeout | null = null;
  private readonly recheck: NodeJS.Timeout;
  private readonly lifetimeMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly repo: CatalogRepository,
    /** `events` hears of each version this replica issues (once per version across replicas). */
    private readonly deps: { trust: TrustService; flags: () => Promise<ClientFeatures>; events: DomainEvents },
    private readonly opts: CatalogServiceOptions = {},
  ) {
    this.lifetimeMs = opts.lifetimeMs ?? DAY;
    this.now = opts.now ?? (() => new Date());
    this.recheck = setInterval(() => this.markDirty(), opts.recheckMs ?? 30_000);
    this.recheck.unref();
  }

  /** The current signed catalog, rebuilt first if something changed. */
  async current(): Promise<ServedCatalog> {
    // A rebuild in flight may be the one that picks up a change this caller just made: wait for it.
    if (this.served && !this.dirty && !this.building && !this.nearExpiry(this.served.expires)) return this.served;
    return this.rebuild();
  }

  markDirty(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.rebuild().catch(() => undefined);
    }, this.opts.debounceMs ?? 50);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.recheck);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One rebuild at a time; a change during a rebuild triggers another one after it. */
  rebuild(): Promise<ServedCatalog> {
    if (this.building) return this.building.then(() => (this.dirty ? this.rebuild() : this.served!));
    this.dirty = false;
    const run = this.build().finally(() => {
      this.building = null;
    });
    this.building = run;
    run.catch(() => {
      this.dirty = true;
    });
    return run;
  }

  private nearExpiry(expires: string): boolean {
    return Date.parse(expires) - this.now().getTime() < this.lifetimeMs / 4;
  }

  private async build(): Promise<ServedCatalog> {
    const [sources, flags] = await Promise.all([this.repo.sources(), this.deps.flags()]);
    const missing = this.builder.unknownVersions(sources);
    if (missing.length > 0) this.builder.learn(await this.repo.manifests(missing));
    const content = { plugins: this.builder.plugins(sources), flags };
    const hash = createHash('sha256').update(JSON.stringify(content)).digest('hex');
    for (let attempt = 0; attempt < 5; attempt++) {
      const latest = await this.repo.latest();
      if (latest && latest.content_hash === hash && !this.nearExpiry(latest.expires)) return await this.serve(latest);
      const now = this.now();
      const catalog: Catalog = {
        _type: CATALOG_TYPE,
        specVersion: 1,
        version: (latest?.version ?? 0) + 1,
        generatedAt: now.toISOString(),
        expires: new Date(now.getTime() + this.lifetimeMs).toISOString(),
        ...content,
      };
      const { keys } = await this.deps.trust.signingKeys('targets');
      const row: CatalogRow = { version: catalog.version, content_hash: hash, body: signCatalog(catalog, keys, signNative), expires: catalog.expires, created_at: now.toISOString() };
      if (await this.repo.insert(row)) {
        const served = await this.serve(row);
        await this.deps.events.emit('catalog.changed', { version: row.version });
        return served;
      }
    }
    throw new Error('could not issue a catalog version: other replicas kept taking the next number');
  }

  /** Compressed off the event loop (libuv's pool): megabytes of catalog would stall every request. */
  private async serve(row: CatalogRow): Promise<ServedCatalog> {
    if (this.served?.version === row.version) return this.served;
    const body = Buffer.from(row.body, 'utf8');
    const served = { version: row.version, body, gzip: await gzipAsync(body), etag: `"catalog-${row.version}-${row.content_hash.slice(0, 16)}"`, expires: row.expires };
    if (!this.served || this.served.version < served.version) this.served = served;
    return served;
  }
}
