import { HealthReportSchema, type HealthReport } from '@wharf/core';
import { retryAfterMs } from '../retry-after.js';

type Entry = HealthReport['reports'][number];

/** The server's bounds on one post and on one count. */
const MAX_ENTRIES = 100;
const MAX_COUNT = 1_000_000;
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
}

/**
 * Opt-in health reporting for staged rollouts: counts successful activations and errors per
 * plugin@version and posts the aggregated counts to `POST /api/v1/rollouts/reports`. Only plugin,
 * version and two counts leave the machine: no install id, user, host or error text.
 */
export class HealthReporter {
  private readonly fetchFn: typeof fetch;
  private readonly base: string;
  private counts = new Map<string, Entry>();
  private sending: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly options: HealthReporterOptions) {
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.base = options.url.replace(/\/+$/, '');
  }

  /** A plugin version activated successfully. */
  recordActivation(plugin: string, version: string): void {
    this.add(plugin, version, 1, 0);
  }

  /** A plugin version failed to activate or threw at run time. */
  recordError(plugin: string, version: string): void {
    this.add(plugin, version, 0, 1);
  }

  /** Counts recorded and not yet sent, per plugin@version. */
  pending(): Entry[] {
    return [...this.counts.values()].map((e) => ({ ...e }));
  }

  /**
   * Sends what has been recorded so far, at most 100 entries per post, retrying failed posts. Counts
   * of a post that still fails are put back for the next flush and the promise rejects. Flushes run
   * one after another.
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

  private add(plugin: string, version: string, activations: number, errors: number): void {
    const key = `${plugin}@${version}`;
    const entry = this.counts.get(key);
    if (entry) {
      entry.activations += activations;
      entry.errors += errors;
      return;
    }
    const parsed = EntrySchema.safeParse({ plugin, version, activations, errors });
    if (!parsed.success) throw new TypeError(`cannot report on ${JSON.stringify(plugin)}@${JSON.stringify(version)}: ${parsed.error.issues[0]?.message}`);
    this.counts.set(key, parsed.data);
  }

  private async send(): Promise<void> {
    const entries = splitLargeCounts([...this.counts.values()]);
    this.counts = new Map();
    for (let i = 0; i < entries.length; i += MAX_ENTRIES) {
      const batch = entries.slice(i, i + MAX_ENTRIES);
      try {
        await this.post({ reports: batch });
      } catch (err) {
        for (const e of entries.slice(i)) this.add(e.plugin, e.version, e.activations, e.errors);
        throw err;
      }
    }
  }

  private async post(report: HealthReport): Promise<void> {
    const attempts = this.options.attempts ?? 4;
    const backoff = this.options.backoffMs ?? 1000;
    const body = JSON.stringify(HealthReportSchema.parse(report));
    for (let attempt = 1; ; attempt++) {
      const failure = await this.attempt(body);
      if (failure === null) return;
      if (!failure.retry || attempt >= attempts) throw failure.error;
      await new Promise((resolve) => setTimeout(resolve, failure.waitMs ?? backoff * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)));
    }
  }

  /** null on success; otherwise whether trying again may help (network, 429, 5xx) and when. */
  private async attempt(body: string): Promise<{ error: Error; retry: boolean; waitMs: number | null } | null> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}/api/v1/rollouts/reports`, { method: 'POST', headers: { 'content-type': 'application/json', ...this.options.headers }, body });
    } catch (err) {
      return { error: err instanceof Error ? err : new Error(String(err)), retry: true, waitMs: null };
    }
    if (res.ok) return null;
    return { error: new Error(`POST /api/v1/rollouts/reports answered ${res.status}`), retry: res.status === 429 || res.status >= 500, waitMs: retryAfterMs(res.headers.get('retry-after')) };
  }
}

/** An entry over the server's per-count bound becomes several entries; the server adds them up. */
function splitLargeCounts(entries: Entry[]): Entry[] {
  const out: Entry[] = [];
  for (const e of entries) {
    let { activations, errors } = e;
    do {
      const a = Math.min(activations, MAX_COUNT);
      const x = Math.min(errors, MAX_COUNT);
      out.push({ plugin: e.plugin, version: e.version, activations: a, errors: x });
      activations -= a;
      errors -= x;
    } while (activations > 0 || errors > 0);
  }
  return out;
}
