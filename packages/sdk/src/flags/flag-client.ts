import {
  ClientFeaturesSchema,
  FlagEvaluator,
  flagSetProblem,
  type ClientFeatures,
  type Evaluation,
  type EvaluatorOptions,
  type UnleashContext,
  type VariantResult,
} from '@wharf/core';
import { Emitter } from '../emitter.js';
import { followEventStream } from '../event-stream.js';

export interface FlagClientOptions {
  /** The Wharf server's root URL, e.g. `https://wharf.example.com`. */
  url: string;
  fetch?: typeof fetch;
  /** Sent with every request (an API gateway's key, say); flags themselves need no token. */
  headers?: Record<string, string>;
  /** Passed to the evaluator: hostname, clock, randomness. */
  evaluator?: EvaluatorOptions;
  /** A set to evaluate before the first download answers, e.g. one saved by the host application. */
  bootstrap?: ClientFeatures;
  /** Delay before reconnecting to `/events` after the stream dropped. */
  reconnectMs?: number;
}

export interface FlagsChanged {
  /** Flags added, removed or whose definition (or a segment they use) changed. */
  keys: string[];
}

export interface FlagClientEvents extends Record<string, unknown> {
  change: FlagsChanged;
  /** A download or the event stream failed; the last good set stays in use. */
  error: Error;
}

/** Per flag, its definition and the segments it uses as one string: equal strings, same behaviour. */
type Signatures = Map<string, string>;

/**
 * Downloads the served flag set (`GET /api/client/features`, Unleash's client-features format) and
 * evaluates it locally with @wharf/core's evaluator. Conditional requests make an unchanged set cost
 * a 304; a failed or invalid download keeps the last good set. Refreshes come from polling, from the
 * server's `flags.changed` notices on `/events`, or from explicit `refresh()` calls.
 */
export class FlagClient extends Emitter<FlagClientEvents> {
  private readonly fetchFn: typeof fetch;
  private readonly base: string;
  private current: FlagEvaluator | null = null;
  private signatures: Signatures = new Map();
  private etag: string | null = null;
  private running: Promise<boolean> | null = null;
  private queued: Promise<boolean> | null = null;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private stream: AbortController | null = null;

  constructor(private readonly options: FlagClientOptions) {
    super();
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.base = options.url.replace(/\/+$/, '');
    if (options.bootstrap) this.install(parseSet(options.bootstrap));
  }

  /** A set has been loaded (downloaded or bootstrapped): evaluations answer from it. */
  get ready(): boolean {
    return this.current !== null;
  }

  /** The evaluator of the set in use, null before the first set. */
  get evaluator(): FlagEvaluator | null {
    return this.current;
  }

  keys(): string[] {
    return this.current?.names() ?? [];
  }

  has(key: string): boolean {
    return this.current?.has(key) ?? false;
  }

  /** The hot path: false for an unknown flag or before the first set. */
  isEnabled(key: string, context?: UnleashContext): boolean {
    return this.current !== null && this.current.isEnabled(key, context);
  }

  getVariant(key: string, context?: UnleashContext): VariantResult {
    return this.current?.getVariant(key, context) ?? { name: 'disabled', enabled: false, feature_enabled: false };
  }

  /** Enabled state, variant and reason; undefined for an unknown flag or before the first set. */
  evaluate(key: string, context?: UnleashContext): Evaluation | undefined {
    return this.current?.evaluate(key, context);
  }

  /**
   * Downloads the set if it changed; true when it did. Calls made while a download runs share one
   * follow-up download, so a change announced mid-download is never missed.
   */
  refresh(): Promise<boolean> {
    if (this.running) {
      this.queued ??= this.running
        .catch(() => false)
        .then(() => {
          this.queued = null;
          return this.refresh();
        });
      return this.queued;
    }
    this.running = this.download().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Refreshes now, then every `intervalMs`; failures go to the `error` event. Replaces an earlier schedule. */
  startPolling(intervalMs: number): this {
    if (!(intervalMs > 0)) throw new RangeError('intervalMs must be positive');
    this.stopPolling();
    const tick = async () => {
      await this.refresh().catch((err: unknown) => this.fail(err));
      if (this.pollTimer !== null) this.pollTimer = setTimeout(tick, intervalMs);
    };
    this.pollTimer = setTimeout(tick, 0);
    return this;
  }

  /**
   * Follows the server's `/events` stream and refreshes on `flags.changed` (and on `reset` /
   * `feed.reset`, after which notices may have been lost), reconnecting when the stream drops.
   */
  watchEvents(): this {
    if (this.stream) return this;
    const controller = new AbortController();
    this.stream = controller;
    const url = `${this.base}/events?types=${encodeURIComponent('flags.changed,feed.reset')}`;
    const refresh = () => void this.refresh().catch((err: unknown) => this.fail(err));
    followEventStream(this.fetchFn, url, {
      headers: this.options.headers ?? {},
      signal: controller.signal,
      reconnectMs: this.options.reconnectMs ?? 3000,
      onConnect: () => refresh(),
      onError: (err) => this.fail(err),
      onEvent: (event) => {
        if (event.event === 'flags.changed' || event.event === 'reset' || event.event === 'feed.reset') refresh();
      },
    });
    return this;
  }

  /** Stops polling and the event stream; the last set stays usable. */
  stop(): void {
    this.stopPolling();
    this.stream?.abort();
    this.stream = null;
  }

  private stopPolling(): void {
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  private async download(): Promise<boolean> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers };
    if (this.etag !== null) headers['if-none-match'] = this.etag;
    const res = await this.fetchFn(`${this.base}/api/client/features`, { headers });
    if (res.status === 304) return false;
    if (!res.ok) throw new Error(`GET /api/client/features answered ${res.status}`);
    const set = parseSet(await res.json());
    const changed = this.install(set);
    this.etag = res.headers.get('etag');
    return changed;
  }

  /** Swaps in a validated set and announces the keys whose definition differs; true when any does. */
  private install(set: ClientFeatures): boolean {
    const evaluator = new FlagEvaluator(set, this.options.evaluator);
    const signatures = signaturesOf(set);
    const keys = [...signatures].filter(([k, sig]) => this.signatures.get(k) !== sig).map(([k]) => k);
    for (const k of this.signatures.keys()) if (!signatures.has(k)) keys.push(k);
    const first = this.current === null;
    this.current = evaluator;
    this.signatures = signatures;
    if (keys.length === 0 && !first) return false;
    this.emit('change', { keys });
    return true;
  }

  private fail(err: unknown): void {
    // Without a listener an unreachable server must not crash the host: the last set keeps serving.
    if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
  }
}

function parseSet(body: unknown): ClientFeatures {
  const parsed = ClientFeaturesSchema.safeParse(body);
  if (!parsed.success) throw new Error(`invalid flag set: ${parsed.error.issues[0]?.message ?? 'schema mismatch'}`);
  const problem = flagSetProblem(parsed.data);
  if (problem) throw new Error(`invalid flag set: ${problem}`);
  return parsed.data;
}

function signaturesOf(set: ClientFeatures): Signatures {
  const segments = new Map((set.segments ?? []).map((s) => [s.id, JSON.stringify(s)]));
  return new Map(
    set.features.map((f) => {
      const used = (f.strategies ?? []).flatMap((s) => s.segments ?? []).map((id) => segments.get(id) ?? '');
      return [f.name, JSON.stringify(f) + used.join('')];
    }),
  );
}
