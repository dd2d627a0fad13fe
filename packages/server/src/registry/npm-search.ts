import type { MetadataStore } from '../storage/metadata-store.js';
import type { RegistryService } from './registry-service.js';

export interface NpmSearchObject {
  package: {
    name: string;
    version: string;
    description: string;
    keywords: string[];
    date: string;
    links: Record<string, string>;
    publisher: { username: string; email: string };
    maintainers: { username: string; email: string }[];
  };
  score: { final: number; detail: { quality: number; popularity: number; maintenance: number } };
  searchScore: number;
}

/** npm search (`/-/v1/search`): the marketplace's full-text index read back as npm's search objects. */
export class NpmSearch {
  constructor(
    private readonly store: MetadataStore,
    private readonly registry: RegistryService,
  ) {}

  /** `/-/v1/search` results in the shape npm search prints. */
  async search(text: string, from: number, size: number): Promise<{ rows: NpmSearchObject[]; total: number }> {
    // The marketplace's full-text index, where every package change lands: ranked, prefix and typo tolerant.
    const { hits, total } = await this.store.search.search('package', { q: text, sort: 'relevance', offset: from, limit: size });
    const objects: NpmSearchObject[] = [];
    for (const hit of hits) {
      const doc = await this.registry.document(hit.id);
      if (!doc) continue;
      const pkg = doc.pkg;
      const latest = doc.tags.latest ?? doc.versions.at(-1)?.version ?? '';
      const row = doc.versions.find((v) => v.version === latest);
      const manifest = row ? (JSON.parse(row.manifest) as { _npmUser?: { name: string; email: string } }) : {};
      const maintainers = doc.owners.map((o) => ({ username: o.name, email: o.email ?? '' }));
      objects.push({
        package: {
          name: pkg.name,
          version: latest,
          description: pkg.description ?? '',
          keywords: JSON.parse(pkg.keywords) as string[],
          date: pkg.modified_at,
          links: {},
          publisher: manifest._npmUser ? { username: manifest._npmUser.name, email: manifest._npmUser.email } : (maintainers[0] ?? { username: '', email: '' }),
          maintainers,
        },
        score: { final: 1, detail: { quality: 1, popularity: 1, maintenance: 1 } },
        searchScore: 1,
      });
    }
    return { rows: objects, total };
  }
}
