import type { PackageDocument } from '../storage/package-repository.js';

export interface Rendered {
  body: string;
  etag: string;
}

interface Entry {
  doc: PackageDocument;
  rendered: Map<string, Rendered>;
}

/**
 * Loaded package documents and their rendered packuments, per process. Reads of a hot package cost
 * a map lookup; every write calls `invalidate` (locally, and on other replicas through the change
 * feed). Bounded by package count, least recently used first out.
 */
export class PackageCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxPackages = 5000) {}

  getDoc(name: string): PackageDocument | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    this.entries.delete(name);
    this.entries.set(name, entry);
    return entry.doc;
  }

  setDoc(name: string, doc: PackageDocument): void {
    this.entries.set(name, { doc, rendered: new Map() });
    if (this.entries.size > this.maxPackages) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The rendered variant (full or abbreviated, per base URL), made once per document. */
  rendered(name: string, variant: string, render: () => Rendered): Rendered {
    const entry = this.entries.get(name);
    if (!entry) return render();
    let hit = entry.rendered.get(variant);
    if (!hit) {
      hit = render();
      entry.rendered.set(variant, hit);
    }
    return hit;
  }

  invalidate(name: string): void {
    this.entries.delete(name);
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Immutable blob bytes for small tarballs, bounded by total size. */
export class BlobCache {
  private readonly entries = new Map<string, Buffer>();
  private size = 0;

  constructor(
    private readonly maxBytes = 64 * 1024 * 1024,
    readonly maxEntryBytes = 1024 * 1024,
  ) {}

  get(key: string): Buffer | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, bytes: Buffer): void {
    if (bytes.length > this.maxEntryBytes || this.entries.has(key)) return;
    this.entries.set(key, bytes);
    this.size += bytes.length;
    while (this.size > this.maxBytes) {
      const [oldest, buf] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.size -= buf.length;
    }
  }
}
