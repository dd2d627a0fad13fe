import { isTrustError, parseCatalogPlugin, type Catalog, type CatalogHead, type CatalogPlugin } from '@wharf/core';

/**
 * One verified catalog: its head checked, its plugin entries validated one by one when first read
 * and kept. A malformed entry makes that plugin unavailable (reported once through `onInvalid`),
 * never the rest of the catalog.
 */
export class CatalogSnapshot {
  private readonly raw: Map<string, { name: string }>;
  private readonly validated = new Map<string, CatalogPlugin | null>();
  private whole: Catalog | null = null;

  constructor(
    readonly head: CatalogHead,
    private readonly onInvalid: (error: Error) => void,
  ) {
    this.raw = new Map(head.plugins.map((p) => [p.name, p]));
  }

  get version(): number {
    return this.head.version;
  }

  has(name: string): boolean {
    return this.raw.has(name);
  }

  plugin(name: string): CatalogPlugin | undefined {
    const known = this.validated.get(name);
    if (known !== undefined) return known ?? undefined;
    const entry = this.raw.get(name);
    if (entry === undefined) return undefined;
    try {
      const plugin = parseCatalogPlugin(entry);
      this.validated.set(name, plugin);
      return plugin;
    } catch (err) {
      if (!isTrustError(err)) throw err;
      this.validated.set(name, null);
      this.onInvalid(err);
      return undefined;
    }
  }

  /** The whole catalog, every entry validated (once); invalid entries are left out. */
  full(): Catalog {
    this.whole ??= { ...this.head, plugins: this.head.plugins.map((p) => this.plugin(p.name)).filter((p): p is CatalogPlugin => p !== undefined) };
    return this.whole;
  }
}
