import { TrustClient, isTrustError, diffCatalogs, isEmptyDiff, verifyCatalogHead, type Catalog, type CatalogDiff, type CatalogHead, type CatalogPlugin, type RootSigned } from '@wharf/core';
import { CatalogSnapshot } from './catalog-snapshot.js';
import { Emitter } from '../emitter.js';
import { followEventStream } from '../event-stream.js';
import { MemoryStore, getText, setText, type ByteStore } from '../storage/store.js';
import { trustStoreOn } from '../storage/trust-store.js';

/**
 * loading: before the first answer. ready: a fresh, verified catalog. degraded: serving the last
 * verified catalog because the network failed or what arrived did not verify. error: nothing usable.
 */
export type CatalogStatus = 'idle' | 'loading' | 'ready' | 'degraded' | 'error';

export interface CatalogEvents extends Record<string, unknown> {
  'catalog-updated': { catalog: Catalog; previous: Catalog | null; diff: CatalogDiff };
  /**
   * `cause` says why a fresh catalog is missing: the network (offline, source down), an HTTP error,
   * or a catalog that arrived and was refused (tampered, replayed, expired).
   */
  status: { status: CatalogStatus; error?: Error; cause?: FailureCause };
  error: { error: Error };
}

export type FailureCause = 'network' | 'http' | 'verification';

export interface CatalogManagerOptions {
  /** The origin or mirror serving `catalog.json` and `trust/`, e.g. `https://plugins.example/`. Not needed with `source`. */
  baseUrl?: string;
  /** The root.json shipped with the app: the only thing trusted without a signature. */
  root: string;
  /** Where the last verified catalog and TUF metadata are kept (memory by default; OPFS, disk). */
  store?: ByteStore;
  fetch?: typeof fetch;
  /**
   * Fetches by path from whichever source the fleet is told to use (a SourceResolver); replaces
   * `baseUrl` and `fetch`. Its `eventsUrl`, when it has one, is the control plane's event stream.
   */
  source?: { fetch(path: string, init?: RequestInit): Promise<Response>; readonly eventsUrl?: string };
  /**
   * The event stream for `subscribe()`: default `<baseUrl>events`, or the source's. Static mirrors
   * serve no events, so a source without one needs this.
   */
  eventsUrl?: string;
  now?: () => Date;
}

const CATALOG_KEY = 'catalog/catalog.json';
const STATE_KEY = 'catalog/state.json';
/** URLs built on this base are handed to `source` as paths; it never reaches the network. */
const SOURCE_BASE = 'wharf-source:/';

interface SavedState {
  version: number;
  etag: string | null;
}

/**
 * The host app's view of the signed catalog: verified against the pinned root (through any key
 * rotation), cached, refreshed with ETags, hot-reloaded by polling or by the server's event stream.
 * A catalog that fails verification never replaces a good one.
 */
export class CatalogManager extends Emitter<CatalogEvents> {
  /** The TUF client over the same store and origin: what the installer verifies downloads with. */
  readonly trust: TrustClient;
  private readonly store: ByteStore;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => Date;
  private readonly base: string;
  private current: CatalogSnapshot | null = null;
  private state: SavedState = { version: 0, etag: null };
  private currentStatus: CatalogStatus = 'idle';
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private pollAbort: AbortController | null = null;
  private streamAbort: AbortController | null = null;
  private refreshing: Promise<boolean> | null = null;

  constructor(private readonly opts: CatalogManagerOptions) {
    super();
    const baseUrl = opts.source ? SOURCE_BASE : opts.baseUrl;
    if (baseUrl === undefined) throw new TypeError('CatalogManager needs a baseUrl or a source');
    this.base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
    this.store = opts.store ?? new MemoryStore();
    const source = opts.source;
    this.fetchFn = source ? (input, init) => source.fetch(String(input).slice(SOURCE_BASE.length), init) : (opts.fetch ?? ((...args) => fetch(...args)));
    this.now = opts.now ?? (() => new Date());
    this.trust = new TrustClient({ metadataUrl: `${this.base}trust/`, targetsUrl: this.base, fetch: (url) => this.fetchFn(url), store: trustStoreOn(this.store), now: this.now });
  }

  get status(): CatalogStatus {
    return this.currentStatus;
  }

  /**
   * Loads the cached catalog (if any), then fetches a fresh one. Resolves with the head of whatever
   * is usable: the fresh catalog, else the cached one (status degraded), else null (status error).
   * Plugin entries are validated as they are read (`getPlugin`, `getCatalog`).
   */
  async initialize(): Promise<CatalogHead | null> {
    this.setStatus('loading');
    const trustStore = trustStoreOn(this.store);
    if ((await trustStore.load('root')) === null) await TrustClient.initialise(trustStore, this.opts.root);
    await this.loadCached();
    await this.refresh();
    return this.getHead();
  }

  /** The verified catalog's version, times, flags and plugin names, without validating every entry. */
  getHead(): CatalogHead | null {
    return this.current?.head ?? null;
  }

  /** The whole verified catalog, every entry validated (once per catalog version). */
  getCatalog(): Catalog | null {
    return this.current?.full() ?? null;
  }

  getPlugin(name: string): CatalogPlugin | undefined {
    return this.current?.plugin(name);
  }

  /** Whether the catalog in use is past its signed expiry (only possible when serving from cache). */
  isStale(): boolean {
    return this.current !== null && Date.parse(this.current.head.expires) <= this.now().getTime();
  }

  /**
   * Fetches and verifies; resolves true when the catalog changed. Never throws: failures become status and `error` events.
   * Aborting `signal` ends the request in flight; the refresh then resolves false and changes nothing.
   */
  refresh(signal?: AbortSignal): Promise<boolean> {
    this.refreshing ??= this.doRefresh(signal).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  startPolling(intervalMs: number): void {
    this.stopPolling();
    const abort = new AbortController();
    this.pollAbort = abort;
    this.pollTimer = setInterval(() => void this.refresh(abort.signal), intervalMs);
  }

  /**
   * Refreshes whenever the server announces `catalog.changed` on its event stream (`/events`),
   * reconnecting with backoff; polling can run alongside as a safety net.
   */
  subscribe(): void {
    if (this.streamAbort) return;
    const eventsUrl = this.opts.eventsUrl ?? (this.opts.source ? (this.opts.source.eventsUrl ?? null) : `${this.base}events`);
    if (eventsUrl === null) throw new TypeError('subscribe() with a source that has no eventsUrl needs the eventsUrl option: static mirrors serve no events');
    // The event stream comes from the control plane itself, never through the source resolver.
    const streamFetch: typeof fetch = this.opts.eventsUrl || this.opts.source ? (this.opts.fetch ?? ((...args) => fetch(...args))) : this.fetchFn;
    const abort = new AbortController();
    this.streamAbort = abort;
    followEventStream(streamFetch, eventsUrl, {
      signal: abort.signal,
      // A change published before the stream opened is not replayed; an unchanged catalog costs a 304.
      onConnect: () => void this.refresh(),
      onEvent: (event) => {
        if (event.event === 'catalog.changed' || event.event === 'feed.reset') void this.refresh();
      },
    });
  }

  stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    // Stopped means silent: a poll still in flight must not land afterwards.
    this.pollAbort?.abort();
    this.pollAbort = null;
  }

  /** Stops polling and the event stream. */
  stop(): void {
    this.stopPolling();
    this.streamAbort?.abort();
    this.streamAbort = null;
  }

  private async loadCached(): Promise<void> {
    const [bytes, state] = await Promise.all([this.store.get(CATALOG_KEY), getText(this.store, STATE_KEY)]);
    if (bytes === null) return;
    const root = await this.trust.trustedRoot();
    if (!root) return;
    try {
      // Verified again on load: the cache is as untrusted as the network (another tab, a disk edit).
      const catalog = await verifyCatalogHead(bytes, { root, now: this.now(), allowExpired: true });
      this.state = state ? (JSON.parse(state) as SavedState) : { version: catalog.version, etag: null };
      this.state.version = Math.max(this.state.version, catalog.version);
      this.install(catalog);
      this.setStatus('degraded');
    } catch (err) {
      this.emit('error', { error: err as Error });
    }
  }

  private async doRefresh(signal?: AbortSignal): Promise<boolean> {
    let root: RootSigned;
    try {
      root = await this.trust.refreshRoot();
    } catch (err) {
      return signal?.aborted ? false : this.fail(err);
    }
    if (signal?.aborted) return false;
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}catalog.json`, { signal, headers: this.state.etag && this.current ? { 'if-none-match': this.state.etag } : {} });
    } catch (err) {
      return signal?.aborted ? false : this.fail(err);
    }
    if (res.status === 304 && this.current) {
      if (this.isStale()) return this.fail(new Error(`catalog v${this.current.version} expired at ${this.current.head.expires} and the server still serves it`));
      this.setStatus('ready');
      return false;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      return this.fail(new Error(`GET catalog.json answered HTTP ${res.status}`), 'http');
    }
    let catalog: CatalogHead;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await res.arrayBuffer());
      catalog = await verifyCatalogHead(bytes, { root, now: this.now(), minVersion: this.state.version });
    } catch (err) {
      return signal?.aborted ? false : this.fail(err);
    }
    const previous = this.current;
    const etag = res.headers.get('etag');
    this.state = { version: catalog.version, etag };
    await this.store.set(CATALOG_KEY, bytes);
    await setText(this.store, STATE_KEY, JSON.stringify(this.state));
    const diff = diffCatalogs(previous?.head ?? null, catalog);
    const next = this.install(catalog);
    this.setStatus('ready');
    if (previous === null || previous.version !== catalog.version) {
      // Whole catalogs only for listeners that read them: validating every entry is their cost, not every update's.
      if (previous === null || !isEmptyDiff(diff)) this.emit('catalog-updated', { get catalog() { return next.full(); }, get previous() { return previous?.full() ?? null; }, diff });
      return true;
    }
    return false;
  }

  private install(head: CatalogHead): CatalogSnapshot {
    this.current = new CatalogSnapshot(head, (error) => this.emit('error', { error }));
    return this.current;
  }

  private fail(err: unknown, cause: FailureCause = failureCause(err)): false {
    const error = err instanceof Error ? err : new Error(String(err));
    this.setStatus(this.current ? 'degraded' : 'error', error, cause);
    this.emit('error', { error });
    return false;
  }

  private setStatus(status: CatalogStatus, error?: Error, cause?: FailureCause): void {
    const changed = status !== this.currentStatus;
    this.currentStatus = status;
    if (changed || error) this.emit('status', error ? { status, error, ...(cause ? { cause } : {}) } : { status });
  }
}

/** fetch rejects with a TypeError when the network fails; the TUF client wraps that as fetch-failed. */
function failureCause(err: unknown): FailureCause {
  if (err instanceof TypeError || (isTrustError(err) && err.code === 'fetch-failed')) return 'network';
  return 'verification';
}
