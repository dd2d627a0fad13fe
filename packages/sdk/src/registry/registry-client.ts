import { PackumentSchema, isHostCompatible, rcompareVersions, resolveVersion, validVersion, type CatalogVersion, type Channel, type Packument } from '@wharf/core';
import type { CatalogManager } from '../catalog/catalog-manager.js';
import { PluginError } from '../install/errors.js';

export interface RegistryClientOptions {
  /** The registry root, e.g. `https://plugins.example/`. */
  baseUrl: string;
  /** Versions, revocations, channels and host compatibility come from the signed catalog. */
  catalog: CatalogManager;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

export interface RegistryResolveOptions {
  channel?: Channel;
  hostVersion?: string;
  /** The install's stable id: its bucket in staged rollouts. */
  installId: string;
}

/** One version as a host shows it: registry facts joined with what the signed catalog says. */
export interface RegistryVersion {
  version: string;
  publishedAt: string | null;
  /** dist-tags pointing at it (latest, alpha, beta, stable…). */
  tags: string[];
  deprecated: string | null;
  revoked: { reason: string; at: string } | null;
  minHostVersion: string | null;
  engines: string | null;
  /** Whether it runs on `hostVersion` (true when none was given). */
  compatible: boolean;
}

/**
 * Read access to the registry for host UIs (plugin pages, version pickers). The packument is
 * display data and is not signed: what gets installed is chosen from the signed catalog and
 * verified by the installer, so this client never decides what runs.
 */
export class RegistryClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: RegistryClientOptions) {
    this.base = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`;
    this.fetchFn = opts.fetch ?? ((...args) => fetch(...args));
  }

  /** The full packument (`GET /<name>`), validated. */
  async getManifest(name: string): Promise<Packument> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}${name.replace('/', '%2f')}`, { headers: { accept: 'application/json', ...this.opts.headers } });
    } catch (err) {
      throw new PluginError('network', name, `registry unreachable: ${(err as Error).message}`, { cause: err });
    }
    if (res.status === 404) throw new PluginError('not-found', name, 'not in the registry');
    if (!res.ok) throw new PluginError(res.status >= 500 ? 'network' : 'bad-response', name, `registry answered HTTP ${res.status}`);
    let json: unknown;
    try {
      json = await res.json();
    } catch (err) {
      throw new PluginError('bad-response', name, 'the registry document is not JSON', { cause: err });
    }
    const parsed = PackumentSchema.safeParse(json);
    if (!parsed.success) throw new PluginError('bad-response', name, `invalid packument: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
    if (parsed.data.name !== name) throw new PluginError('bad-response', name, `the registry answered with the document of ${parsed.data.name}`);
    return parsed.data;
  }

  /**
   * Every published version, newest first, with its tags and publish time from the registry and
   * its revocation and host compatibility from the catalog (a version the catalog does not list yet
   * counts as incompatible: nothing can install it).
   */
  async getVersions(name: string, opts: { hostVersion?: string } = {}): Promise<RegistryVersion[]> {
    const doc = await this.getManifest(name);
    const listed = new Map((this.opts.catalog.getPlugin(name)?.versions ?? []).map((v) => [v.version, v]));
    return Object.keys(doc.versions)
      .filter((v) => validVersion(v) !== null)
      .sort(rcompareVersions)
      .map((version) => {
        const c = listed.get(version);
        return {
          version,
          publishedAt: doc.time?.[version] ?? c?.publishedAt ?? null,
          tags: Object.entries(doc['dist-tags']).flatMap(([tag, v]) => (v === version ? [tag] : [])),
          deprecated: c?.deprecated ?? doc.versions[version]!.deprecated ?? null,
          revoked: c?.revoked ?? null,
          minHostVersion: c?.minHostVersion ?? null,
          engines: c?.engines ?? null,
          compatible: c !== undefined && isHostCompatible(c, opts.hostVersion),
        };
      });
  }

  /**
   * The version this install would get for a range: channel tags, staged rollouts, host
   * compatibility, revocations and suspended listings, all from the signed catalog. null when none fits.
   */
  resolve(name: string, range: string, opts: RegistryResolveOptions): CatalogVersion | null {
    if (!this.opts.catalog.getHead()) throw new PluginError('no-catalog', name, 'no verified catalog yet');
    const plugin = this.opts.catalog.getPlugin(name);
    if (!plugin) throw new PluginError('not-found', name, 'not in the catalog');
    return resolveVersion(plugin, { channel: opts.channel, installId: opts.installId, hostVersion: opts.hostVersion, range });
  }
}
