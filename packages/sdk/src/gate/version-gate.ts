import { ReleaseGateSchema, type ReleaseGate, type ReleaseMode } from '@wharf/core';
import { Emitter } from '../emitter.js';
import { retryAfterMs } from '../retry-after.js';

export interface VersionGateOptions {
  /** The Wharf server's root URL. */
  url: string;
  /** This application's SemVer version, sent as `X-Client-Version`. */
  clientVersion: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

/** One answer of `GET /meta/release`: 200, 426 (below minSupported under HARD_BLOCK) or 503 (MAINTENANCE). */
export interface GateCheck {
  status: 200 | 426 | 503;
  gate: ReleaseGate;
  /** From Retry-After on a 503, when the server gave one. */
  retryAfterSeconds: number | null;
}

export interface UpdateRequired {
  latest: string | null;
  minSupported: string | null;
  message: string | null;
  url: string | null;
  mode: ReleaseMode;
  /** 426: the application must stop until updated (HARD_BLOCK); otherwise a dismissible prompt. */
  blocking: boolean;
}

export interface Maintenance {
  message: string | null;
  url: string | null;
  retryAfterSeconds: number | null;
}

export interface VersionGateEvents extends Record<string, unknown> {
  'update-required': UpdateRequired;
  maintenance: Maintenance;
  /** Every successful check, whatever it said. */
  check: GateCheck;
  error: Error;
}

/**
 * The SDK side of the version gate: checks `/meta/release` at start and periodically, and tells the
 * host application when an update is required or the service is in maintenance. Each condition is
 * announced when it starts or its content changes, not at every check, so the host prompts once.
 */
export class VersionGate extends Emitter<VersionGateEvents> {
  private readonly fetchFn: typeof fetch;
  private readonly base: string;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private announced: { update: string | null; maintenance: string | null } = { update: null, maintenance: null };
  private latest: GateCheck | null = null;

  constructor(private readonly options: VersionGateOptions) {
    super();
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.base = options.url.replace(/\/+$/, '');
  }

  /** The last successful check, null before the first. */
  get last(): GateCheck | null {
    return this.latest;
  }

  /** One check now; resolves with the server's answer after emitting what it implies. */
  async check(): Promise<GateCheck> {
    const res = await this.fetchFn(`${this.base}/meta/release`, {
      headers: { accept: 'application/json', ...this.options.headers, 'x-client-version': this.options.clientVersion },
      cache: 'no-store',
    });
    if (res.status !== 200 && res.status !== 426 && res.status !== 503) throw new Error(`GET /meta/release answered ${res.status}: ${await errorText(res)}`);
    const parsed = ReleaseGateSchema.safeParse(await res.json().catch(() => null));
    // A 503 from a proxy in front is not a maintenance window: only the gate's own body counts.
    if (!parsed.success) throw new Error(`GET /meta/release answered ${res.status} without a release gate body`);
    const check: GateCheck = { status: res.status, gate: parsed.data, retryAfterSeconds: res.status === 503 ? retryAfterSeconds(res.headers.get('retry-after')) : null };
    this.latest = check;
    this.announce(check);
    return check;
  }

  /**
   * Checks now and then every `intervalMs` (during maintenance, after Retry-After when it is
   * sooner). Failures go to the `error` event and the schedule goes on.
   */
  start({ intervalMs = 5 * 60_000 }: { intervalMs?: number } = {}): this {
    if (!(intervalMs > 0)) throw new RangeError('intervalMs must be positive');
    this.stop();
    const tick = async () => {
      let next = intervalMs;
      try {
        const check = await this.check();
        if (check.retryAfterSeconds !== null) next = Math.min(intervalMs, check.retryAfterSeconds * 1000);
      } catch (err) {
        if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
      }
      if (this.timer !== null) this.timer = setTimeout(tick, next);
    };
    this.timer = setTimeout(tick, 0);
    return this;
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private announce(check: GateCheck): void {
    const { gate } = check;
    this.emit('check', check);
    if (check.status === 503) {
      const maintenance: Maintenance = { message: gate.message, url: gate.url, retryAfterSeconds: check.retryAfterSeconds };
      const key = JSON.stringify([maintenance.message, maintenance.url]);
      if (this.announced.maintenance !== key) this.emit('maintenance', maintenance);
      this.announced.maintenance = key;
    } else {
      this.announced.maintenance = null;
    }
    if (gate.requiresUpdate) {
      const update: UpdateRequired = { latest: gate.latest, minSupported: gate.minSupported, message: gate.message, url: gate.url, mode: gate.mode, blocking: check.status === 426 };
      const key = JSON.stringify(update);
      if (this.announced.update !== key) this.emit('update-required', update);
      this.announced.update = key;
    } else {
      this.announced.update = null;
    }
  }
}


function retryAfterSeconds(header: string | null): number | null {
  const ms = retryAfterMs(header);
  return ms === null ? null : Math.ceil(ms / 1000);
}

async function errorText(res: Response): Promise<string> {
  const body = (await res.json().catch(() => null)) as { error?: unknown } | null;
  return typeof body?.error === 'string' ? body.error : res.statusText;
}
