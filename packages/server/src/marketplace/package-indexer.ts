import type { MetadataStore } from '../storage/metadata-store.js';

/**
 * Keeps registry packages in the search index (kind `package`, what npm search reads). A package is
 * re-read from the store whenever it changes: present, it is (re)indexed; gone, it leaves the index.
 */
export class PackageIndexer {
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: MetadataStore,
    /** Also refreshes the listing of the package (its compatibility and latest version). */
    private readonly onIndexed: (name: string) => Promise<void>,
    private readonly onError: (err: unknown, name: string) => void,
  ) {}

  async reindex(name: string): Promise<void> {
    const pkg = await this.store.packages.getPackage(name);
    if (!pkg) {
      await this.store.search.remove('package', name);
    } else {
      await this.store.search.put({
        kind: 'package',
        ref: pkg.name,
        name: pkg.name,
        description: pkg.description ?? '',
        keywords: JSON.parse(pkg.keywords) as string[],
        category: null,
        tags: [],
        package: null,
        popularity: 0,
        ratingSum: 0,
        ratingCount: 0,
        minHostVersion: null,
        maxHostVersion: null,
        updatedAt: pkg.modified_at,
      });
    }
    await this.onIndexed(name);
  }

  /** For change notifications, which nobody awaits: runs in order, and errors are reported, not thrown. */
  reindexLater(name: string): void {
    this.pending = this.pending.then(() => this.reindex(name).catch((err) => this.onError(err, name)));
  }

  /** Resolves once the notifications received so far are indexed. */
  idle(): Promise<void> {
    return this.pending;
  }

  /** Indexes packages that predate the index (a registry upgraded to this version). */
  async backfill(): Promise<void> {
    for (const name of await this.store.search.unindexedPackages()) await this.reindex(name);
  }
}
