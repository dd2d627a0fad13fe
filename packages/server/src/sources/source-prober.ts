import type { CandidateProbe, SourceProbe } from '@wharf/core';
import type { GuardedFetch } from '../net/guarded-fetch.js';
import type { SourceService } from './source-service.js';

export interface SourceProberOptions {
  sources: SourceService;
  /** The server's guarded fetch: source URLs are typed by users, so never a plain fetch. */
  fetch: GuardedFetch;
  now?: () => Date;
}

/** `https://x/mirror` and `https://x/mirror/` name the same mirror root. */
export const sourceRoot = (url: string) => (url.endsWith('/') ? url : `${url}/`);

/**
 * Probes each configured source's `catalog.json` from the server, so the console shows what a
 * source answers even when no client reports. Results are stored, so any replica can show them.
 */
export class SourceProber {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<SourceProbe[]> | null = null;
  private readonly now: () => Date;

  constructor(private readonly opts: SourceProberOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Probes every source of the current configuration once (one run at a time). */
  probeAll(): Promise<SourceProbe[]> {
    this.running ??= this.run().finally(() => (this.running = null));
    return this.running;
  }

  /** Probes every `intervalMs` until `stop()`; the timer does not keep the process alive. */
  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => void this.probeAll().catch(() => undefined), intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async run(): Promise<SourceProbe[]> {
    const current = await this.opts.sources.current();
    // healthCheckEnabled: false means no probe at all, and no stale result shown.
    const entries = current?.config.healthCheckEnabled === false ? [] : Object.entries(current?.config.sources ?? {});
    const previous = new Map((await this.opts.sources.repo.probes()).map((p) => [p.source, p]));
    const probes = await Promise.all(entries.map(([source, url]) => this.probe(source, url, previous.get(source)?.consecutive_failures ?? 0)));
    for (const p of probes) {
      await this.opts.sources.repo.putProbe({ source: p.source, url: p.url, ok: p.ok ? 1 : 0, status: p.status, latency_ms: p.latencyMs, error: p.error, checked_at: p.checkedAt, consecutive_failures: p.consecutiveFailures });
    }
    await this.opts.sources.repo.keepProbes(entries.map(([source]) => source));
    return probes;
  }

  /** "Test this URL": probes a source nobody uses yet, through the same guarded fetch, and stores nothing. */
  async probeCandidate(url: string): Promise<CandidateProbe> {
    const { ok, status, latencyMs, error } = await this.probe('candidate', url, 0);
    return { url, ok, status, latencyMs, error };
  }

  private async probe(source: string, url: string, failuresBefore: number): Promise<SourceProbe> {
    const started = this.now().getTime();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await this.opts.fetch(new URL('catalog.json', sourceRoot(url)).href, { 'cache-control': 'no-cache' });
      status = res.status;
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const ok = error === null;
    return { source, url, ok, status, latencyMs: status === null ? null : this.now().getTime() - started, error, checkedAt: this.now().toISOString(), consecutiveFailures: ok ? 0 : failuresBefore + 1 };
  }
}
