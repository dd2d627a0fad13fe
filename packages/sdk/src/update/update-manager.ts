import { isHostCompatible, validVersion, versionLte } from '@wharf/core';
import type { CatalogManager } from '../catalog/catalog-manager.js';
import { Emitter } from '../emitter.js';
import { PluginError, isPluginError } from '../install/errors.js';
import type { PluginInstaller } from '../install/installer.js';
import type { PluginState } from '../install/state.js';

/**
 * revoked: the installed version was revoked (the plugin runs an older one or is disabled).
 * security: the installed version is deprecated, npm's way of flagging a vulnerable release.
 * update: a newer version for this install's channel, rollout and host.
 */
export type UpdateReason = 'revoked' | 'security' | 'update';

export interface UpdateInfo {
  name: string;
  /** The version running now (for a plugin disabled by a revocation: the revoked one). */
  current: string | null;
  available: string;
  reason: UpdateReason;
  /** Whether the available version is already downloaded and verified: applying needs no network. */
  ready: boolean;
}

export interface UpdateManagerOptions {
  installer: PluginInstaller;
  /** Defaults to the installer's catalog. */
  catalog?: CatalogManager;
  /** Background check period (default 15 minutes); a catalog update also triggers a check. */
  intervalMs?: number;
  /** Plugins the host is running now: their updates download before those of the others (default: every plugin with an active version). */
  inUse?: (name: string) => boolean;
  /** Retries of a download that failed on the network (default 4), after `backoffMs` doubled each time (default 1 s). */
  retries?: number;
  backoffMs?: number;
}

export interface UpdateEvents extends Record<string, unknown> {
  /** A verified update is stored and `applyUpdate(name)` can switch to it. Once per version. */
  'update-ready': UpdateInfo;
  /** A download failed for good in this round (verification, or the network after every retry). */
  'update-failed': { info: UpdateInfo; error: Error };
  error: { error: Error };
}

const PRIORITY: Record<UpdateReason, number> = { revoked: 0, security: 1, update: 2 };

/**
 * Keeps installed plugins current: finds updates in the catalog, downloads and verifies them in the
 * background (revocations and security fixes first, then plugins in use), retrying network failures
 * with exponential backoff, and announces them; `applyUpdate` then switches atomically.
 */
export class UpdateManager extends Emitter<UpdateEvents> {
  private readonly installer: PluginInstaller;
  private readonly catalog: CatalogManager;
  private intervalMs: number;
  private readonly announced = new Set<string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private unsubscribe: (() => void) | null = null;
  private running: Promise<UpdateInfo[]> | null = null;
  private again = false;
  private abort = new AbortController();

  constructor(private readonly opts: UpdateManagerOptions) {
    super();
    this.installer = opts.installer;
    this.catalog = opts.catalog ?? opts.installer.catalog;
    this.intervalMs = checkInterval(opts.intervalMs ?? 15 * 60_000);
  }

  /**
   * Checks and downloads now, then after each catalog update and every `intervalMs` (given here or
   * to the constructor, after refreshing the catalog), until `stop()`.
   */
  start(options: { intervalMs?: number } = {}): void {
    if (this.timer) return;
    if (options.intervalMs !== undefined) this.intervalMs = checkInterval(options.intervalMs);
    this.abort = new AbortController();
    const round = () => void this.downloadUpdates().catch((error: unknown) => this.emit('error', { error: error instanceof Error ? error : new Error(String(error)) }));
    // The catalog is refreshed first (a 304 when unchanged): the host may not poll it itself.
    this.timer = setInterval(() => void this.catalog.refresh().then(round), this.intervalMs);
    this.unsubscribe = this.catalog.on('catalog-updated', round);
    round();
  }

  /** Stops the schedule and abandons pending retries; a download in flight finishes but nothing after it starts. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.abort.abort();
  }

  /** Updates the catalog offers for installed plugins, most urgent first. Throws when there is no fresh catalog. */
  async checkForUpdates(): Promise<UpdateInfo[]> {
    const states = await this.installer.list();
    const infos = states.flatMap((s) => {
      const info = this.updateFor(s);
      return info ? [info] : [];
    });
    const used = (name: string) => (this.opts.inUse ? this.opts.inUse(name) : states.some((s) => s.name === name && s.active !== null));
    return infos.sort((a, b) => PRIORITY[a.reason] - PRIORITY[b.reason] || Number(used(b.name)) - Number(used(a.name)) || (a.name < b.name ? -1 : 1));
  }

  /**
   * One background round: checks, then downloads each update in priority order (verified, stored,
   * not activated). Resolves with the updates ready to apply. Concurrent calls share one round, and
   * a call during a round runs one more after it (a catalog update may have arrived meanwhile).
   */
  downloadUpdates(): Promise<UpdateInfo[]> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<UpdateInfo[]> => {
      let ready: UpdateInfo[];
      do {
        this.again = false;
        ready = await this.round();
      } while (this.again && !this.abort.signal.aborted);
      return ready;
    };
    this.running = run().finally(() => (this.running = null));
    return this.running;
  }

  /**
   * Switches a plugin to its available update (downloading it first if the background has not),
   * atomically; older versions beyond the installer's `keep` are removed.
   */
  async applyUpdate(name: string): Promise<UpdateInfo> {
    const state = await this.installer.get(name);
    if (!state) throw new PluginError('not-installed', name, 'not installed');
    const info = this.updateFor(state);
    if (!info) throw new PluginError('no-matching-version', name, `no update available for ${state.active ?? 'the disabled plugin'}`);
    if (!info.ready) await this.withRetries(() => this.installer.download(name, info.available));
    await this.installer.activate(name, info.available);
    return { ...info, ready: true };
  }

  private async round(): Promise<UpdateInfo[]> {
    const ready: UpdateInfo[] = [];
    for (const info of await this.checkForUpdates()) {
      if (this.abort.signal.aborted) break;
      try {
        if (!info.ready) await this.withRetries(() => this.installer.download(info.name, info.available));
      } catch (err) {
        if (this.abort.signal.aborted) break;
        this.emit('update-failed', { info, error: err instanceof Error ? err : new Error(String(err)) });
        continue;
      }
      const done = { ...info, ready: true };
      ready.push(done);
      const key = `${info.name}@${info.available}`;
      if (!this.announced.has(key)) {
        this.announced.add(key);
        this.emit('update-ready', done);
      }
    }
    return ready;
  }

  private updateFor(state: PluginState): UpdateInfo | null {
    const current = state.active ?? state.disabled?.version ?? null;
    if (current === null) return null;
    let target;
    try {
      target = this.installer.resolve(state.name);
    } catch (err) {
      // Without a usable catalog nothing can be checked: say so instead of "no updates".
      if (isPluginError(err) && (err.code === 'no-catalog' || err.code === 'catalog-stale')) throw err;
      return null;
    }
    const listed = this.catalog.getPlugin(state.name)?.versions.find((v) => v.version === current);
    const revoked = state.active === null || !!listed?.revoked;
    if (target.version === state.active) return null;
    // Going down is an update only away from a version that may not run (revoked, or too new for the host).
    const runs = !revoked && (!listed || isHostCompatible(listed, this.installer.hostVersion));
    if (runs && validVersion(current) !== null && versionLte(target.version, current)) return null;
    const reason: UpdateReason = revoked ? 'revoked' : listed?.deprecated ? 'security' : 'update';
    return { name: state.name, current, available: target.version, reason, ready: state.versions.some((v) => v.version === target.version) };
  }

  /** Runs `fn`, retrying network failures after 1, 2, 4… × backoffMs (with jitter); other errors end it. */
  private async withRetries<T>(fn: () => Promise<T>): Promise<T> {
    const retries = this.opts.retries ?? 4;
    const backoff = this.opts.backoffMs ?? 1000;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!isPluginError(err, 'network') || attempt >= retries || this.abort.signal.aborted) throw err;
        await sleep(backoff * 2 ** attempt * (0.75 + Math.random() / 2), this.abort.signal);
        if (this.abort.signal.aborted) throw err;
      }
    }
  }
}

function checkInterval(ms: number): number {
  if (!(ms > 0)) throw new RangeError('intervalMs must be positive');
  return ms;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
