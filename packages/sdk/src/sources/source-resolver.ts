import { ClientConfigSchema, MarketplaceSourceSchema, SourceStatsReportSchema, sourceOrder, type ClientConfig, type MarketplaceSource, type MarketplaceSourceInput, type SourceStatsReport } from '@wharf/core';
import { Emitter } from '../emitter.js';
import { followEventStream } from '../event-stream.js';
import { getText, setText, type ByteStore } from '../storage/store.js';
import { retryAfterMs } from '../retry-after.js';

export interface SourceResolverOptions {
  /** The Wharf control plane's root URL: serves `/api/v1/client-config` and receives stats. */
  controlPlaneUrl: string;
  /** Built into the app: used until the control plane has answered once, and when it has no config. */
  defaultConfig: MarketplaceSourceInput;
  /** Stable, opaque, per install: decides which side of the canary the install is on. */
  installId: string;
  /** Keeps the last config the control plane gave, for starts while it is down. */
  store?: ByteStore;
  fetch?: typeof fetch;
  /** Milliseconds; drives config expiry, the circuit breaker, benching and latency. */
  now?: () => number;
  /** Per attempt on one source, until the response headers arrive. Default 10 s. */
  timeoutMs?: number;
  /** Consecutive failures (error, timeout, 5xx) that open a source's circuit. Default 3. */
  failureThreshold?: number;
  /** How long an open circuit keeps a source out of rotation before one trial request. Default 30 s. */
  openMs?: number;
  /** Consecutive 429s that bench a source until its Retry-After. Default 2. */
  rateLimitThreshold?: number;
  /** Bench length when a 429 carries no usable Retry-After. Default 60 s. */
  defaultBenchMs?: number;
  /** After a failed config download, how long the last good config is used before asking again. Default 30 s. */
  configRetryMs?: number;
  /** Sent with control-plane requests (an API gateway's key, say). */
  headers?: Record<string, string>;
}

export interface SourceStats {
  /** Calls to `fetch`. */
  totalRequests: number;
  /** Attempts per source (a call that fell back counts on each source it tried). */
  perSource: Record<string, { requests: number; errors: number; rateLimited: number }>;
  /** Calls answered by a source other than the install's first choice. */
  fallbacks: number;
  /** Failed attempts: network errors, timeouts, 5xx and 429. */
  errors: number;
  /** Calls no source could answer. */
  failed: number;
  /** Mean duration of a call, fallbacks included. */
  avgLatencyMs: number;
}

export interface SourceResolverEvents extends Record<string, unknown> {
  /** A different config version is in use (0: the built-in default). */
  'config-changed': { version: number; previous: number | null; config: MarketplaceSource };
  /** A source answered 429 repeatedly; it gets no traffic until `until`. */
  'source-benched': { source: string; until: number };
  /** The control plane could not be read; the last good (or built-in) config stays in use. */
  error: Error;
}

/** Anything `fetch`-shaped by path: what CatalogManager's `source` option takes. */
export interface PathFetcher {
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

interface ActiveConfig {
  /** 0 for the built-in default. */
  version: number;
  config: MarketplaceSource;
  etag: string | null;
  expiresAt: number;
  /** This install's order under `config` (canary side included), computed once per config. */
  order: string[];
}

/** Health of one source URL: state follows the host, so renaming a source keeps it. */
interface SourceState {
  failures: number;
  openUntil: number;
  limited: number;
  benchedUntil: number;
}

type Counts = { requests: number; errors: number; rateLimited: number; fallbacks: number };

const CONFIG_KEY = 'sources/client-config.json';
/** When every source failed, the config is asked for again at most this often: the operator may have switched. */
const FAILURE_RELOAD_MS = 5_000;

class AttemptError extends Error {}

/**
 * Decides, per request, which marketplace source (Git mirror, CDN, …) serves it, as the control
 * plane's `marketplace_source` says: priority order, a deterministic canary share by install id,
 * fallback on error, timeout, 5xx or 429, a circuit breaker per source and benching of a
 * rate-limited source until its Retry-After. Everything fetched this way is signed and verified by
 * its reader, so sources (and the unsigned client config naming them) are trusted for availability
 * only: a wrong source can make loads fail, never make them load something else.
 */
export class SourceResolver extends Emitter<SourceResolverEvents> implements PathFetcher {
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly controlPlane: string;
  private readonly fallbackConfig: MarketplaceSource;
  private active: ActiveConfig | null = null;
  private loading: Promise<ActiveConfig> | null = null;
  private downloadedAt = -Infinity;
  private readonly states = new Map<string, SourceState>();
  private stats: SourceStats = { totalRequests: 0, perSource: {}, fallbacks: 0, errors: 0, failed: 0, avgLatencyMs: 0 };
  private latencyTotal = 0;
  private unreported = new Map<string, Counts>();
  private timers: ReturnType<typeof setInterval>[] = [];
  private stream: AbortController | null = null;

  constructor(private readonly opts: SourceResolverOptions) {
    super();
    this.fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.now = opts.now ?? Date.now;
    this.controlPlane = opts.controlPlaneUrl.replace(/\/+$/, '');
    this.fallbackConfig = MarketplaceSourceSchema.parse(opts.defaultConfig);
  }

  /** The control plane's event stream: a CatalogManager reading through this resolver follows it (mirrors serve none). */
  get eventsUrl(): string {
    return `${this.controlPlane}/events`;
  }

  /** The config in use (after `reloadConfig()` or a first request), with its version (0: built-in). */
  get config(): { version: number; config: MarketplaceSource } | null {
    return this.active && { version: this.active.version, config: this.active.config };
  }

  /** The URL `path` would be fetched from now: the first source in this install's order that is in rotation. */
  async resolveUrl(path: string): Promise<string> {
    const active = await this.currentConfig();
    const name = this.inRotation(active)[0] ?? active.order[0]!;
    return joinUrl(active.config.sources[name]!, path);
  }

  /**
   * Fetches `path` from the first source in this install's order that answers, skipping benched
   * sources and (unless nothing else is left) open circuits. When every source failed, the config
   * is reloaded at once, since an operator may have switched sources already, and the request is
   * tried once more on the new one. Resolves with the last failing response when there was one.
   */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const started = this.now();
    this.stats.totalRequests++;
    try {
      const before = await this.currentConfig();
      let outcome = await this.tryAll(before, path, init);
      if (!outcome.ok && !init.signal?.aborted && this.now() - this.downloadedAt >= FAILURE_RELOAD_MS) {
        const after = await this.reloadConfig();
        if (after.version !== before.version) {
          outcome.response?.body?.cancel().catch(() => undefined);
          outcome = await this.tryAll(this.active!, path, init);
        }
      }
      if (outcome.ok) return outcome.response;
      this.stats.failed++;
      if (outcome.response) return outcome.response;
      throw outcome.error;
    } finally {
      this.latencyTotal += this.now() - started;
      this.stats.avgLatencyMs = this.latencyTotal / this.stats.totalRequests;
    }
  }

  /** Downloads the config now (ETag revalidation), whatever its TTL says. Never throws. */
  reloadConfig(): Promise<{ version: number; config: MarketplaceSource }> {
    this.loading ??= this.download().finally(() => (this.loading = null));
    return this.loading;
  }

  getStats(): SourceStats {
    return { ...this.stats, perSource: Object.fromEntries(Object.entries(this.stats.perSource).map(([k, v]) => [k, { ...v }])) };
  }

  /**
   * Probes each source's `catalog.json` (HEAD) when the config enables health checks; a failure
   * counts towards the source's circuit, a success closes it. Benched sources are left alone.
   */
  async checkHealth(): Promise<Record<string, boolean>> {
    const { config } = await this.currentConfig();
    if (!config.healthCheckEnabled) return {};
    const now = this.now();
    const entries = Object.entries(config.sources).filter(([, url]) => this.state(url).benchedUntil <= now);
    const results = await Promise.all(
      entries.map(async ([name, url]) => {
        const result = await this.request(joinUrl(url, 'catalog.json'), { method: 'HEAD' });
        const ok = result instanceof Response && result.ok;
        // A mirror without catalog.json is broken even though a 404 is a fine answer to a request.
        if (result instanceof Response && (ok || result.status === 429 || result.status >= 500)) this.judge(name, url, result);
        else this.failure(url);
        return [name, ok] as const;
      }),
    );
    return Object.fromEntries(results);
  }

  /**
   * Sends the counts gathered since the last report to the control plane (opt-in: only when the
   * host app calls this or `start({ statsReportMs })`). Counts per source name only. Counts of a
   * failed post are kept for the next one.
   */
  async reportStats(): Promise<void> {
    const pending = this.unreported;
    this.unreported = new Map();
    const sources = [...pending].map(([source, c]) => ({ source, ...c })).filter((c) => c.requests + c.errors + c.rateLimited + c.fallbacks > 0);
    if (sources.length === 0) return;
    try {
      for (let i = 0; i < sources.length; i += 8) {
        const report: SourceStatsReport = SourceStatsReportSchema.parse({ sources: sources.slice(i, i + 8) });
        const res = await this.fetchFn(`${this.controlPlane}/api/v1/sources/stats`, { method: 'POST', headers: { 'content-type': 'application/json', ...this.opts.headers }, body: JSON.stringify(report), signal: AbortSignal.timeout(this.timeoutMs) });
        await res.body?.cancel().catch(() => undefined);
        if (!res.ok) throw new Error(`POST /api/v1/sources/stats answered ${res.status}`);
        for (const s of report.sources) pending.delete(s.source);
      }
    } catch (err) {
      for (const [source, c] of pending) this.unreport(source, c);
      throw err;
    }
  }

  /** Periodic health checks and (opt-in) stats reports, until `stop()`; calling it again replaces the schedule. */
  start({ healthCheckMs, statsReportMs }: { healthCheckMs?: number; statsReportMs?: number }): this {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (healthCheckMs) this.timers.push(setInterval(() => void this.checkHealth().catch(() => undefined), healthCheckMs));
    if (statsReportMs) this.timers.push(setInterval(() => void this.reportStats().catch(() => undefined), statsReportMs));
    return this;
  }

  /**
   * Reloads the config as soon as the control plane announces `config.changed` on its event stream
   * (`/events`), reconnecting with backoff, instead of waiting for the TTL. Until `stop()`.
   */
  subscribe(): void {
    if (this.stream) return;
    const abort = new AbortController();
    this.stream = abort;
    followEventStream(this.fetchFn, `${this.controlPlane}/events?types=config.changed,feed.reset`, {
      headers: this.opts.headers ?? {},
      signal: abort.signal,
      // A change may have come before the stream opened; an unchanged config costs a 304.
      onConnect: () => void this.reloadConfig(),
      onEvent: (event) => {
        if (event.event !== 'message') void this.reloadConfig();
      },
    });
  }

  /** Stops health checks, stats reports and the event stream. */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.stream?.abort();
    this.stream = null;
  }

  private get timeoutMs(): number {
    return this.opts.timeoutMs ?? 10_000;
  }

  private async currentConfig(): Promise<ActiveConfig> {
    if (!this.active) await this.loadStored();
    if (this.active && this.now() < this.active.expiresAt) return this.active;
    await this.reloadConfig();
    return this.active!;
  }

  /** The last config the control plane gave, if any; expired at once so the next use revalidates it. */
  private async loadStored(): Promise<void> {
    const text = this.opts.store ? await getText(this.opts.store, CONFIG_KEY).catch(() => null) : null;
    if (text === null || this.active) return;
    try {
      const saved = JSON.parse(text) as { etag: string | null; body: unknown };
      const body = ClientConfigSchema.parse(saved.body);
      this.install({ version: body.version, config: body.marketplaceSource, etag: saved.etag, expiresAt: 0 });
    } catch {
      // A damaged cache is no worse than none: the built-in default takes over.
    }
  }

  private async download(): Promise<ActiveConfig> {
    this.downloadedAt = this.now();
    const current = this.active;
    const headers: Record<string, string> = { accept: 'application/json', ...this.opts.headers };
    if (current?.etag) headers['if-none-match'] = current.etag;
    let res: Response;
    try {
      res = await this.fetchFn(`${this.controlPlane}/api/v1/client-config`, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      return this.keepLastGood(err);
    }
    if (res.status === 304 && current?.etag) {
      current.expiresAt = this.now() + current.config.ttlSeconds * 1000;
      return current;
    }
    if (res.status === 404) {
      await res.body?.cancel().catch(() => undefined);
      // Configs are never deleted: after one, a 404 is a proxy or replica that lost its way, and the
      // built-in default may be the very source the fleet was moved off.
      if (current && current.version > 0) return this.keepLastGood(new Error(`GET /api/v1/client-config answered 404; keeping config v${current.version}`));
      return this.install({ version: 0, config: this.fallbackConfig, etag: null, expiresAt: this.now() + this.fallbackConfig.ttlSeconds * 1000 });
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      return this.keepLastGood(new Error(`GET /api/v1/client-config answered ${res.status}`));
    }
    let body: ClientConfig;
    try {
      body = ClientConfigSchema.parse(await res.json());
    } catch (err) {
      return this.keepLastGood(err);
    }
    // Versions only grow on the server: an older one is a stale cache or a lagging replica, and taking it would flap the fleet.
    if (current && body.version < current.version) return this.keepLastGood(new Error(`client config v${body.version} is older than v${current.version} in use: kept v${current.version}`));
    const etag = res.headers.get('etag');
    if (this.opts.store) await setText(this.opts.store, CONFIG_KEY, JSON.stringify({ etag, body })).catch(() => undefined);
    return this.install({ version: body.version, config: body.marketplaceSource, etag, expiresAt: this.now() + body.marketplaceSource.ttlSeconds * 1000 });
  }

  private keepLastGood(err: unknown): ActiveConfig {
    this.emit('error', err instanceof Error ? err : new Error(String(err)));
    const kept = this.active ?? this.install({ version: 0, config: this.fallbackConfig, etag: null, expiresAt: 0 });
    kept.expiresAt = this.now() + (this.opts.configRetryMs ?? 30_000);
    return kept;
  }

  private install(values: Omit<ActiveConfig, 'order'>): ActiveConfig {
    const previous = this.active;
    const next = { ...values, order: sourceOrder(values.config, this.opts.installId) };
    this.active = next;
    if (previous?.version !== next.version) this.emit('config-changed', { version: next.version, previous: previous?.version ?? null, config: next.config });
    return next;
  }

  /** This install's order with benched sources dropped and open circuits moved to the end (a last resort). */
  private inRotation({ config, order }: ActiveConfig): string[] {
    const now = this.now();
    const names = order.filter((n) => this.state(config.sources[n]!).benchedUntil <= now);
    const closed = names.filter((n) => this.state(config.sources[n]!).openUntil <= now);
    return [...closed, ...names.filter((n) => !closed.includes(n))];
  }

  private async tryAll(active: ActiveConfig, path: string, init: RequestInit): Promise<{ ok: true; response: Response } | { ok: false; response?: Response; error: Error }> {
    const { config } = active;
    const first = active.order[0];
    const order = this.inRotation(active);
    let last: { response?: Response; error: Error } = { error: new AttemptError(`no source is in rotation for ${path}: all are benched after 429s`) };
    for (const name of order) {
      const url = config.sources[name]!;
      this.count(name, { requests: 1, errors: 0, rateLimited: 0, fallbacks: 0 });
      const result = await this.request(joinUrl(url, path), init);
      if (init.signal?.aborted) return { ok: false, error: result instanceof Response ? new AttemptError('aborted') : result };
      if (result instanceof Response && this.judge(name, url, result)) {
        last.response?.body?.cancel().catch(() => undefined);
        if (name !== first) {
          this.stats.fallbacks++;
          this.count(name, { requests: 0, errors: 0, rateLimited: 0, fallbacks: 1 });
        }
        return { ok: true, response: result };
      }
      if (!(result instanceof Response)) this.failure(url);
      this.stats.errors++;
      this.count(name, { requests: 0, errors: 1, rateLimited: result instanceof Response && result.status === 429 ? 1 : 0, fallbacks: 0 });
      last.response?.body?.cancel().catch(() => undefined);
      last = result instanceof Response ? { response: result, error: new AttemptError(`${name} answered ${result.status} for ${path}`) } : { error: result };
    }
    return { ok: false, ...last };
  }

  /** Whether the response is usable, updating the source's circuit and bench. */
  private judge(name: string, url: string, res: Response): boolean {
    const state = this.state(url);
    if (res.status === 429) {
      state.limited++;
      if (state.limited >= (this.opts.rateLimitThreshold ?? 2)) {
        state.benchedUntil = this.now() + (retryAfterMs(res.headers.get('retry-after'), this.now()) ?? this.opts.defaultBenchMs ?? 60_000);
        state.limited = 0;
        this.emit('source-benched', { source: name, until: state.benchedUntil });
      }
      return false;
    }
    if (res.status >= 500) {
      this.failure(url);
      return false;
    }
    state.failures = 0;
    state.openUntil = 0;
    state.limited = 0;
    return true;
  }

  private failure(url: string): void {
    const state = this.state(url);
    state.failures++;
    if (state.failures >= (this.opts.failureThreshold ?? 3)) state.openUntil = this.now() + (this.opts.openMs ?? 30_000);
  }

  /** The response, or the error (network, timeout) as a value. */
  private async request(url: string, init: RequestInit): Promise<Response | Error> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new AttemptError(`timed out after ${this.timeoutMs} ms: ${url}`)), this.timeoutMs);
    try {
      return await this.fetchFn(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal });
    } catch (err) {
      return timeout.signal.aborted && timeout.signal.reason instanceof Error ? timeout.signal.reason : err instanceof Error ? err : new Error(String(err));
    } finally {
      clearTimeout(timer);
    }
  }

  private state(url: string): SourceState {
    let s = this.states.get(url);
    if (!s) this.states.set(url, (s = { failures: 0, openUntil: 0, limited: 0, benchedUntil: 0 }));
    return s;
  }

  private count(source: string, add: Counts): void {
    const per = (this.stats.perSource[source] ??= { requests: 0, errors: 0, rateLimited: 0 });
    per.requests += add.requests;
    per.errors += add.errors;
    per.rateLimited += add.rateLimited;
    this.unreport(source, add);
  }

  /** Adds to what the next `reportStats()` sends. */
  private unreport(source: string, add: Counts): void {
    const u = this.unreported.get(source) ?? { requests: 0, errors: 0, rateLimited: 0, fallbacks: 0 };
    this.unreported.set(source, { requests: u.requests + add.requests, errors: u.errors + add.errors, rateLimited: u.rateLimited + add.rateLimited, fallbacks: u.fallbacks + add.fallbacks });
  }
}

/** `path` under the source root, whether or not the configured URL ends with a slash. */
export function joinUrl(root: string, path: string): string {
  return `${root.endsWith('/') ? root : `${root}/`}${path.replace(/^\/+/, '')}`;
}
