import { HealthReportSchema, type AnalyticsReport, type CatalogPlugin, type HealthReport } from '@wharf/core';
import { retryAfterMs } from '../retry-after.js';

type Entry = HealthReport['reports'][number];
/** One analytics counter: `plugin` is the marketplace listing id, not the package name. */
type Counter = AnalyticsReport['counters'][number];
type Installs = { plugin: string; installs: number };

/** The server's bounds on one post, on one count and on an analytics counter's version. */
const MAX_ENTRIES = 100;
const MAX_COUNT = 1_000_000;
const MAX_COUNTER_VERSION = 64;
const EntrySchema = HealthReportSchema.shape.reports.def.element;

export interface HealthReporterOptions {
  /** The Wharf server's root URL. */
  url: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  /** Attempts per post, the first included. */
  attempts?: number;
  /** First retry delay; doubled at each further attempt (with jitter), or Retry-After when the server gives one. */
  backoffMs?: number;
  /** Called when a scheduled flush fails; the counts are kept for the next one. */
  onError?: (error: Error) => void;
  /**
   * Marketplace usage analytics, off unless the host's user agreed to share usage counts: installs,
   * activations and errors per listed plugin go to `POST /api/v1/analytics`, and each install to
   * `POST /api/v1/plugins/:id/install` (the listing's install count, which ranks `sort=downloads`).
   * `setAnalytics()` changes it at run time. Needs `catalog`.
   */
  analytics?: boolean;
  /** Finds a package's marketplace listing (the CatalogManager): analytics count per published listing only. */
  catalog?: { getPlugin(name: string): CatalogPlugin | undefined };
}

/**
 * Counts not yet sent to one endpoint, summed per key. Each endpoint keeps its own: counts a post
 * failed to deliver go back to its tally only, so no endpoint ever receives a count twice.
 */
class Tally<E extends object> {
  private entries = new Map<string, E>();
  constructor(
    private readonly keyOf: (e: E) => string,
    readonly fields: readonly (keyof E)[],
  ) {}

  add(entry: E): void {
    const key = this.keyOf(entry);
    const kept = this.entries.get(key) as Record<keyof E, number> | undefined;
    if (!kept) this.entries.set(key, { ...entry });
    else for (const f of this.fields) kept[f] += entry[f] as number;
  }

  values(): E[] {
    return [...this.entries.values()].map((e) => ({ ...e }));
  }

  take(): E[] {
    const out = [...this.entries.values()];
    this.entries = new Map();
    return out;
  }
}

const healthTally = () => new Tally<Entry>((e) => `${e.plugin}@${e.version}`, ['activations', 'errors']);
const counterTally = () => new Tally<Counter>((e) => `${e.plugin}@${e.version ?? ''}`, ['installs', 'activations', 'errors']);
const installTally = () => new Tally<Installs>((e) => e.plugin, ['installs']);

/**
 * Opt-in usage reporting, counts only: activations and errors per plugin@version for staged
 * rollouts (`POST /api/v1/rollouts/reports`), and, when analytics are on, the marketplace's
 * counters and install counts per listing. No install id, user, host, time of use or error text
 * leaves the machine. A PluginInstaller given a reporter counts its installs; its loaders count
 * activations and errors.
 */
export class HealthReporter {
  private readonly fetchFn: typeof fetch;
  private readonly base: string;
  private readonly known = new Set<string>();
  private health = healthTally();
  private counters = counterTally();
  private installs = installTally();
  private analytics = false;
  private sending: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly options: HealthReporterOptions) {
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.base = options.url.replace(/\/+$/, '');
    this.setAnalytics(options.analytics ?? false);
  }

  /** Whether marketplace analytics are sent. */
  get analyticsEnabled(): boolean {
    return this.analytics;
  }

  /**
   * Turns marketplace analytics on or off (the user gave or withdrew consent). Turning them off
   * discards what they had not sent yet; what was recorded while they were off is never sent.
   */
  setAnalytics(enabled: boolean): void {
    if (enabled && !this.options.catalog) throw new TypeError('analytics count per marketplace listing: pass the catalog option');
    this.analytics = enabled;
    // New tallies: a post still in flight puts what it failed to send back into the old ones.
    if (!enabled) [this.counters, this.installs] = [counterTally(), installTally()];
  }

  /** A plugin version was newly installed (PluginInstaller calls this itself). Counted for analytics only. */
  recordInstall(plugin: string, version: string): void {
    this.add(plugin, version, 1, 0, 0);
  }

  /** A plugin version activated successfully. */
  recordActivation(plugin: string, version: string): void {
    this.add(plugin, version, 0, 1, 0);
  }

  /** A plugin version failed to activate or threw at run time. */
  recordError(plugin: string, version: string): void {
    this.add(plugin, version, 0, 0, 1);
  }

  /** Rollout health counts recorded and not yet sent, per plugin@version. */
  pending(): Entry[] {
    return this.health.values();
  }

  /** Analytics counters and install counts not yet sent, exactly as they will be: what a host can show its user. */
  pendingAnalytics(): { counters: Counter[]; installs: Installs[] } {
    return { counters: this.counters.values(), installs: this.installs.values() };
  }

  /**
   * Sends what has been recorded so far, at most 100 entries per post, retrying failed posts. Counts
   * of a post that still fails are put back for the next flush and the promise rejects (with the
   * first failure, once every endpoint was tried). Flushes run one after another.
   */
  flush(): Promise<void> {
    const run = this.sending.catch(() => undefined).then(() => this.send());
    this.sending = run;
    return run;
  }

  /** Flushes every `intervalMs` until `stop()`. */
  start({ intervalMs }: { intervalMs: number }): this {
    if (!(intervalMs > 0)) throw new RangeError('intervalMs must be positive');
    this.stop();
    this.timer = setInterval(() => {
      this.flush().catch((err: unknown) => this.options.onError?.(err instanceof Error ? err : new Error(String(err))));
    }, intervalMs);
    return this;
  }

  /** Stops the schedule; recorded counts stay until the next `flush()`. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private add(plugin: string, version: string, installs: number, activations: number, errors: number): void {
    const key = `${plugin}@${version}`;
    if (!this.known.has(key)) {
      const parsed = EntrySchema.safeParse({ plugin, version, activations, errors });
      if (!parsed.success) throw new TypeError(`cannot report on ${JSON.stringify(plugin)}@${JSON.stringify(version)}: ${parsed.error.issues[0]?.message}`);
      this.known.add(key);
    }
    if (activations + errors > 0) this.health.add({ plugin, version, activations, errors });
    const listing = this.analytics ? this.options.catalog!.getPlugin(plugin)?.listing : null;
    // The server drops counters of listings that are not published; an install post for one would be refused.
    if (listing?.state !== 'published') return;
    this.counters.add({ plugin: listing.id, ...(version.length <= MAX_COUNTER_VERSION ? { version } : {}), installs, activations, errors });
    if (installs > 0) this.installs.add({ plugin: listing.id, installs });
  }

  private async send(): Promise<void> {
    const results = await Promise.allSettled([
      this.drain(this.health, MAX_ENTRIES, MAX_COUNT, (reports) => this.post('/api/v1/rollouts/reports', HealthReportSchema.parse({ reports }))),
      this.drain(this.counters, MAX_ENTRIES, MAX_COUNT, (counters) => this.post('/api/v1/analytics', { optIn: true, counters })),
      // One post per install, so that a failure puts back exactly the installs not yet counted.
      this.drain(this.installs, 1, 1, ([{ plugin }]) =>
        this.post(`/api/v1/plugins/${encodeURIComponent(plugin)}/install`).catch((err: Error & { status?: number }) => {
          // The listing was taken down since: no server will ever count it.
          if (err.status !== 404) throw err;
        }),
      ),
    ]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Posts the tally's entries in batches; on a failure the unsent ones go back into it. */
  private async drain<E extends object>(tally: Tally<E>, batchSize: number, maxCount: number, post: (batch: [E, ...E[]]) => Promise<void>): Promise<void> {
    const entries = splitLargeCounts(tally.take(), tally.fields, maxCount);
    for (let i = 0; i < entries.length; i += batchSize) {
      try {
        await post(entries.slice(i, i + batchSize) as [E, ...E[]]);
      } catch (err) {
        for (const e of entries.slice(i)) tally.add(e);
        throw err;
      }
    }
  }

  private async post(path: string, body?: object): Promise<void> {
    const attempts = this.options.attempts ?? 4;
    const backoff = this.options.backoffMs ?? 1000;
    // No body, no content type: Fastify refuses an empty JSON body.
    const init: RequestInit = body ? { method: 'POST', headers: { 'content-type': 'application/json', ...this.options.headers }, body: JSON.stringify(body) } : { method: 'POST', headers: { ...this.options.headers } };
    for (let attempt = 1; ; attempt++) {
      const failure = await this.attempt(path, init);
      if (failure === null) return;
      if (!failure.retry || attempt >= attempts) throw failure.error;
      await new Promise((resolve) => setTimeout(resolve, failure.waitMs ?? backoff * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)));
    }
  }

  /** null on success; otherwise whether trying again may help (network, 429, 5xx) and when. */
  private async attempt(path: string, init: RequestInit): Promise<{ error: Error; retry: boolean; waitMs: number | null } | null> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}${path}`, init);
    } catch (err) {
      return { error: err instanceof Error ? err : new Error(String(err)), retry: true, waitMs: null };
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) return null;
    const error = Object.assign(new Error(`POST ${path} answered ${res.status}`), { status: res.status });
    return { error, retry: res.status === 429 || res.status >= 500, waitMs: retryAfterMs(res.headers.get('retry-after')) };
  }
}

/** An entry with a count over `max` becomes several entries; the server adds them up. */
function splitLargeCounts<E extends object>(entries: E[], fields: readonly (keyof E)[], max: number): E[] {
  const out: E[] = [];
  for (const e of entries) {
    const left = fields.map((f) => e[f] as number);
    do {
      const part = { ...e } as Record<keyof E, number>;
      fields.forEach((f, i) => {
        part[f] = Math.min(left[i]!, max);
        left[i]! -= part[f];
      });
      out.push(part as E);
    } while (left.some((n) => n > 0));
  }
  return out;
}
