import { z } from 'zod';

/**
 * Where purges go. `webhook`: one POST `{ paths, tags, soft }` (JSON, optional bearer token) for an
 * adapter to a CDN's API. `nginx`: one `PURGE <url>/-/purge<path>` request per path, for nginx with
 * the cache-purge module as in deploy/nginx/wharf-cache.conf (paths only: nginx has no tags).
 */
export const PurgeTargetSchema = z.object({
  kind: z.enum(['webhook', 'nginx']),
  url: z.url(),
  token: z.string().min(1).optional(),
});
export type PurgeTarget = z.infer<typeof PurgeTargetSchema>;

export interface PurgeRequest {
  paths: string[];
  tags: string[];
}

export interface PurgerOptions {
  targets: PurgeTarget[];
  fetch?: typeof fetch;
  /** Requests within this window are sent as one purge (default 100 ms). */
  batchMs?: number;
  retries?: number;
  onError?: (err: unknown, target: PurgeTarget) => void;
}

/**
 * Purges CDN caches after changes, batched and retried with backoff. Soft purges (mark stale,
 * keep serving while revalidating) where the CDN supports them: the content is signed, so a stale
 * copy is safe for the seconds it takes to refetch.
 */
export class CdnPurger {
  private pending: PurgeRequest = { paths: [], tags: [] };
  private timer: NodeJS.Timeout | null = null;
  private inFlight = new Set<Promise<void>>();
  private readonly fetchFn: typeof fetch;

  constructor(private readonly opts: PurgerOptions) {
    this.fetchFn = opts.fetch ?? fetch;
  }

  get enabled(): boolean {
    return this.opts.targets.length > 0;
  }

  purge(req: PurgeRequest): void {
    if (!this.enabled) return;
    this.pending.paths.push(...req.paths);
    this.pending.tags.push(...req.tags);
    this.timer ??= setTimeout(() => this.flush(), this.opts.batchMs ?? 100);
  }

  /** Sends what is pending now and waits for every purge in flight (tests, shutdown). */
  async drain(): Promise<void> {
    if (this.timer) this.flush();
    await Promise.all([...this.inFlight]);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = { paths: [...new Set(this.pending.paths)], tags: [...new Set(this.pending.tags)] };
    this.pending = { paths: [], tags: [] };
    for (const target of this.opts.targets) {
      const run = this.send(target, batch).finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }
  }

  private async send(target: PurgeTarget, batch: PurgeRequest): Promise<void> {
    const retries = this.opts.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.sendOnce(target, batch);
        return;
      } catch (err) {
        if (attempt >= retries) {
          this.opts.onError?.(err, target);
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  private async sendOnce(target: PurgeTarget, batch: PurgeRequest): Promise<void> {
    const auth: Record<string, string> = target.token ? { authorization: `Bearer ${target.token}` } : {};
    if (target.kind === 'webhook') {
      const res = await this.fetchFn(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ ...batch, soft: true }) });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`purge webhook ${target.url} answered ${res.status}`);
      return;
    }
    const base = target.url.replace(/\/+$/, '');
    for (const path of batch.paths) {
      const res = await this.fetchFn(`${base}/-/purge${path}`, { method: 'PURGE', headers: auth });
      await res.body?.cancel();
      // nginx's cache-purge answers 404 for a path it has not cached: nothing to purge is success.
      if (!res.ok && res.status !== 404) throw new Error(`PURGE ${base}/-/purge${path} answered ${res.status}`);
    }
  }
}
