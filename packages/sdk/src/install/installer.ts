import { isHostCompatible, isTrustError, isValidRange, rcompareVersions, validVersion, resolveVersion, sriOf, targetPath, type CatalogPlugin, type CatalogVersion, type Channel, type VerifiedPackage } from '@wharf/core';
import type { CatalogManager } from '../catalog/catalog-manager.js';
import { Emitter } from '../emitter.js';
import type { HealthReporter } from '../reporting/health-reporter.js';
import type { ByteStore } from '../storage/store.js';
import { PluginError } from './errors.js';
import { checkNameVersion, filesKey, pluginPrefix, readState, stateKey, tarballKey, writeState, type PluginState } from './state.js';

export interface PluginInstallerOptions {
  catalog: CatalogManager;
  /** Where verified tarballs and state records live (OpfsStore in a browser, FsStore in Node). */
  store: ByteStore;
  /** This install's stable random id: its bucket in staged rollouts. */
  installId: string;
  /** The host app's version: versions that do not run on it are never chosen or activated. */
  hostVersion?: string;
  channel?: Channel;
  /**
   * Counts each new install (a plugin with no install record on this host: first install, or again
   * after an uninstall; not updates or version switches) and is passed on to loaders built on this
   * installer, which count activations and errors. What it sends, and whether, is its own option.
   */
  reporter?: HealthReporter;
  /** Installed versions kept per plugin, the active one included (default 3). */
  keep?: number;
}

export interface InstallResult {
  name: string;
  version: string;
  /** The version that was active before, if any. */
  previous: string | null;
  /** Whether bytes were downloaded (false when the version was already stored). */
  downloaded: boolean;
}

export interface RevokedEvent {
  name: string;
  version: string;
  reason: string;
  /** The installed version now active instead, or null: the plugin is disabled. */
  fallback: string | null;
}

export interface InstallerEvents extends Record<string, unknown> {
  /** A version was downloaded, verified and stored (active or not); `delta` when a delta update was used. */
  installed: { name: string; version: string; delta?: DeltaUse };
  activated: { name: string; version: string; previous: string | null };
  /** An installed version was revoked by the catalog and taken out of service. */
  revoked: RevokedEvent;
  uninstalled: { name: string };
  /** A background step (revocation enforcement after a catalog update) failed, or `list` met a damaged record. */
  error: { error: Error };
}

/** A stored version read back and checked again: the store is as untrusted as the network. */
export interface VerifiedInstall {
  name: string;
  version: string;
  files: Map<string, Uint8Array>;
}

/** A delta update: the version it started from, the bytes downloaded and the full tarball's. */
export interface DeltaUse {
  from: string;
  bytes: number;
  fullBytes: number;
}

/** What a download stored: the state record's entry for it. */
type StoredVersion = PluginState['versions'][number];

/** How long verified TUF metadata serves further downloads before the next refresh. */
const TRUST_REUSE_MS = 30_000;

const emptyState = (name: string): PluginState => ({ name, active: null, previous: [], versions: [], disabled: null });

/**
 * Installs plugins from the signed catalog: resolves a version (channel, rollout, host
 * compatibility, revocation), downloads it through the TUF client, checks every file against its
 * signed hash, stores it, and switches the active version with one atomic write of the state record.
 */
export class PluginInstaller extends Emitter<InstallerEvents> {
  readonly catalog: CatalogManager;
  readonly store: ByteStore;
  readonly reporter: HealthReporter | undefined;
  readonly installId: string;
  readonly hostVersion: string | undefined;
  readonly channel: Channel;
  readonly keep: number;
  private readonly locks = new Map<string, Promise<unknown>>();
  private trustRefresh: Promise<void> | null = null;
  private trustRefreshedAt = -Infinity;
  private readonly unsubscribe: () => void;

  constructor(opts: PluginInstallerOptions) {
    super();
    this.catalog = opts.catalog;
    this.store = opts.store;
    this.reporter = opts.reporter;
    this.installId = opts.installId;
    this.hostVersion = opts.hostVersion;
    this.channel = opts.channel ?? 'stable';
    this.keep = opts.keep ?? 3;
    if (!Number.isInteger(this.keep) || this.keep < 1) throw new RangeError('keep must be a positive integer');
    this.unsubscribe = this.catalog.on('catalog-updated', () => {
      this.enforceRevocations().catch((error: unknown) => this.emit('error', { error: error instanceof Error ? error : new Error(String(error)) }));
    });
  }

  /** Stops following catalog updates. */
  dispose(): void {
    this.unsubscribe();
  }

  /**
   * The catalog version `install` would pick: an exact version as asked, else the channel's choice
   * within the range. Throws a PluginError saying why nothing fits.
   */
  resolve(name: string, versionOrRange?: string): CatalogVersion {
    const plugin = this.catalogPlugin(name);
    if (plugin.listing?.state === 'suspended') throw new PluginError('suspended', name, 'the listing is suspended');
    const exact = versionOrRange === undefined ? null : validVersion(versionOrRange);
    if (exact !== null) return this.usableVersion(plugin, exact);
    if (versionOrRange !== undefined && !isValidRange(versionOrRange)) throw new PluginError('no-matching-version', name, `${JSON.stringify(versionOrRange)} is neither a version nor a range`);
    const found = resolveVersion(plugin, { channel: this.channel, installId: this.installId, hostVersion: this.hostVersion, range: versionOrRange });
    if (!found) throw new PluginError('no-matching-version', name, `no version${versionOrRange ? ` in ${versionOrRange}` : ''} on the ${this.channel} channel runs on host ${this.hostVersion ?? '(any)'} without a revocation`);
    return found;
  }

  /** Resolves, downloads and verifies (unless already stored), then activates. */
  install(name: string, versionOrRange?: string): Promise<InstallResult> {
    return this.exclusive(name, async () => {
      const target = this.resolve(name, versionOrRange);
      const stored = await readState(this.store, name);
      const state = stored ?? emptyState(name);
      const downloaded = !(await this.storedMatches(state, target.version, target.integrity));
      const entry = downloaded ? await this.fetchVerified(name, target, state) : null;
      const previous = state.active;
      await this.commit(activated(withVersion(state, target, entry), target.version));
      if (stored === null) this.reporter?.recordInstall(name, target.version);
      if (entry) this.emit('installed', { name, version: target.version, ...(entry.delta ? { delta: entry.delta } : {}) });
      this.emit('activated', { name, version: target.version, previous });
      return { name, version: target.version, previous, downloaded };
    });
  }

  /**
   * Downloads, verifies and stores a version of an installed plugin without activating it (a
   * background update); `activate` switches to it later without the network.
   */
  download(name: string, version: string): Promise<{ downloaded: boolean }> {
    return this.exclusive(name, async () => {
      const state = await this.requireState(name);
      const target = this.usableVersion(this.catalogPlugin(name), version);
      if (await this.storedMatches(state, version, target.integrity)) return { downloaded: false };
      const entry = await this.fetchVerified(name, target, state);
      await this.commit(withVersion(state, target, entry));
      this.emit('installed', { name, version, ...(entry.delta ? { delta: entry.delta } : {}) });
      return { downloaded: true };
    });
  }

  /** Makes an installed version the active one, after checking its stored bytes again. */
  activate(name: string, version: string): Promise<void> {
    return this.exclusive(name, async () => {
      const state = await this.requireState(name);
      if (!state.versions.some((v) => v.version === version)) throw new PluginError('not-installed', name, `version ${version} is not installed`);
      await this.switchTo(state, version);
    });
  }

  /** Goes back to the version that was active before the current one (skipping revoked or removed ones). */
  rollback(name: string): Promise<string> {
    return this.exclusive(name, async () => {
      const state = await this.requireState(name);
      const candidates = state.previous.filter((v) => v !== state.active && state.versions.some((i) => i.version === v) && this.runnable(name, v));
      const target = candidates[0];
      if (target === undefined) throw new PluginError('no-previous-version', name, 'no earlier installed version to roll back to');
      // Rolling back again goes further back, not forth: the version left is not recorded as previous.
      await this.switchTo({ ...state, previous: state.previous.filter((v) => v !== target && v !== state.active) }, target, false);
      return target;
    });
  }

  uninstall(name: string): Promise<void> {
    return this.exclusive(name, async () => {
      checkNameVersion(name);
      // Not requireState: a damaged record must still be removable.
      if ((await this.store.get(stateKey(name))) === null) throw new PluginError('not-installed', name, 'not installed');
      // The record goes first: from then on the plugin is not installed, whatever happens to the files.
      await this.store.delete(stateKey(name));
      for (const key of await this.store.list(pluginPrefix(name))) await this.store.delete(key);
      this.emit('uninstalled', { name });
    });
  }

  async get(name: string): Promise<PluginState | null> {
    checkNameVersion(name);
    return readState(this.store, name);
  }

  /** Installed plugins by name; a damaged record is left out and reported as an `error` event (`corrupt-state`). */
  async list(): Promise<PluginState[]> {
    const keys = (await this.store.list('plugins/')).filter((k) => /^plugins\/[^/]+\/state\.json$/.test(k));
    const names = keys.map((k) => k.slice('plugins/'.length, -'/state.json'.length).replace('+', '/'));
    const states = await Promise.all(
      names.map((n) =>
        readState(this.store, n).catch((error: unknown) => {
          this.emit('error', { error: error as Error });
          return null;
        }),
      ),
    );
    return states.filter((s): s is PluginState => s !== null).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /**
   * The active version's files, read back from the store and checked against the signed catalog's
   * integrity (or, with no catalog at all, the one recorded at install). A revoked active version
   * is replaced first, as on a catalog update.
   */
  async readActive(name: string): Promise<VerifiedInstall> {
    let state = await this.requireState(name);
    if (state.active !== null && this.listed(name, state.active)?.revoked) {
      // The revocation arrived while no installer was listening (or before this one was built):
      // enforce it now rather than refuse to load a plugin that has a good version installed.
      await this.enforceRevocations();
      state = await this.requireState(name);
    }
    if (state.active === null) {
      if (state.disabled) throw new PluginError('disabled', name, `disabled: version ${state.disabled.version} was revoked (${state.disabled.reason}) and no other installed version can run`);
      throw new PluginError('not-installed', name, 'no active version');
    }
    const version = state.active;
    const listed = this.listed(name, version);
    // The host may have changed version since the install; an update (or an older install) fixes it.
    if (listed && !isHostCompatible(listed, this.hostVersion)) throw new PluginError('incompatible', name, `${version} does not run on host ${this.hostVersion}`);
    return { name, version, files: await this.checkedFiles(state, version) };
  }

  /**
   * Takes installed versions the catalog now revokes out of service: the active one is replaced by
   * the most recent earlier or newest other runnable installed version, else the plugin is disabled.
   * Runs by itself on every `catalog-updated`; hosts may call it after starting from a cached catalog.
   */
  async enforceRevocations(): Promise<RevokedEvent[]> {
    if (this.catalog.getHead() === null) return [];
    const events: RevokedEvent[] = [];
    for (const { name } of await this.list()) {
      const out = await this.exclusive(name, async () => {
        const state = await readState(this.store, name);
        if (!state) return [];
        const revoked = new Map<string, string>();
        for (const v of state.versions) {
          const r = this.listed(name, v.version)?.revoked;
          if (r) revoked.set(v.version, r.reason);
        }
        if (revoked.size === 0) return [];
        const left = state.versions.filter((v) => !revoked.has(v.version));
        let next: PluginState = { ...state, versions: left, previous: state.previous.filter((v) => !revoked.has(v)) };
        const changed: RevokedEvent[] = [];
        if (state.active !== null && revoked.has(state.active)) {
          const order = [...next.previous, ...left.map((v) => v.version).sort(rcompareVersions)];
          const fallback = order.find((v) => left.some((l) => l.version === v) && this.runnable(name, v)) ?? null;
          const reason = revoked.get(state.active)!;
          next = fallback === null ? { ...next, active: null, disabled: { version: state.active, reason } } : { ...next, active: fallback, previous: next.previous.filter((v) => v !== fallback) };
          changed.push({ name, version: state.active, reason, fallback });
        }
        await this.commit(next);
        return changed;
      });
      for (const e of out) this.emit('revoked', e);
      events.push(...out);
    }
    return events;
  }

  private async switchTo(state: PluginState, version: string, recordPrevious = true): Promise<void> {
    const listed = this.listed(state.name, version);
    if (listed?.revoked) throw new PluginError('revoked', state.name, `${version} was revoked: ${listed.revoked.reason}`);
    if (listed && !isHostCompatible(listed, this.hostVersion)) throw new PluginError('incompatible', state.name, `${version} does not run on host ${this.hostVersion}`);
    await this.checkedFiles(state, version);
    const previous = state.active;
    await this.commit(recordPrevious ? activated(state, version) : { ...state, active: version, disabled: null });
    this.emit('activated', { name: state.name, version, previous });
  }

  /**
   * A stored version's files, refused unless what is stored hashes to the signed tarball integrity
   * (else the one recorded at install); files a delta produced are checked against the hash of
   * their pack recorded when they were verified against the signed per-file hashes.
   */
  private async checkedFiles(state: PluginState, version: string): Promise<Map<string, Uint8Array>> {
    const name = state.name;
    const listed = this.listed(name, version);
    if (listed?.revoked) throw new PluginError('revoked', name, `${version} was revoked: ${listed.revoked.reason}`);
    const entry = state.versions.find((v) => v.version === version);
    const asFiles = entry?.form === 'files';
    const expected = asFiles ? entry.integrity : (listed?.integrity ?? entry?.integrity);
    const bytes = await this.store.get(asFiles ? filesKey(name, version) : tarballKey(name, version));
    if (bytes === null || expected === undefined) throw new PluginError('not-installed', name, `the stored files of ${version} are missing`);
    if ((await sriOf(bytes)) !== expected) throw new PluginError('verification-failed', name, `the stored copy of ${version} was modified: its sha512 differs from the signed one`);
    try {
      // Both readers load on first use: a host that only shows the catalog never needs them.
      return asFiles ? (await import('./file-pack.js')).decodeFilePack(bytes) : await (await import('./tar.js')).unpackTarball(bytes);
    } catch (err) {
      throw new PluginError('bad-package', name, `${version}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Whether `version` is stored intact: its tarball with the signed integrity, or its verified files. */
  private async storedMatches(state: PluginState, version: string, integrity: string): Promise<boolean> {
    const entry = state.versions.find((v) => v.version === version);
    const asFiles = entry?.form === 'files';
    const bytes = await this.store.get(asFiles ? filesKey(state.name, version) : tarballKey(state.name, version));
    return bytes !== null && (await sriOf(bytes)) === (asFiles ? entry.integrity : integrity);
  }

  /**
   * Downloads a version and stores it, not yet referenced: by a delta from an installed version when
   * the signed targets list one (the files it yields are checked against the signed per-file hashes),
   * else, and whenever the delta path fails in any way, the full tarball.
   */
  private async fetchVerified(name: string, target: CatalogVersion, state: PluginState): Promise<StoredVersion> {
    const viaDelta = await this.fetchByDelta(name, target, state).catch(() => null);
    if (viaDelta) return viaDelta;
    await this.fetchTarball(name, target);
    return { version: target.version, integrity: target.integrity, installedAt: new Date().toISOString() };
  }

  private async fetchByDelta(name: string, target: CatalogVersion, state: PluginState): Promise<StoredVersion | null> {
    const to = target.version;
    await this.trustedDownloadReady();
    const signed = this.catalog.trust.target(targetPath(name, to));
    const deltas = signed?.wharf?.deltas ?? {};
    const from = [state.active, ...state.versions.map((v) => v.version)].find((v): v is string => v !== null && v !== to && v in deltas);
    if (!from || !signed) return null;
    const old = await this.checkedFiles(state, from);
    const got = await this.catalog.trust.fetchDelta(name, from, to);
    if (got.integrity !== target.integrity) return null;
    // Loaded on first use: a host that never sees a delta never loads its code nor the zstd WebAssembly.
    const { filesFromDelta } = await import('./delta-install.js');
    const { pack, files } = await filesFromDelta(got, old, { name, from, to });
    checkIdentity(name, to, files.get('package.json'));
    await this.store.set(filesKey(name, to), pack);
    return { version: to, integrity: await sriOf(pack), installedAt: new Date().toISOString(), form: 'files', delta: { from, bytes: got.bytes.length, fullBytes: signed.info.length } };
  }

  /** Download through TUF, cross-check with the catalog, check every file, then store the tarball (not yet referenced). */
  private async fetchTarball(name: string, target: CatalogVersion): Promise<void> {
    const { version } = target;
    let pkg;
    try {
      pkg = await this.trustedDownload(name, version);
    } catch (err) {
      if (isTrustError(err) && err.code === 'revoked') throw new PluginError('revoked', name, err.message, { cause: err });
      if (!isTrustError(err) || err.code === 'fetch-failed') throw new PluginError('network', name, `download of ${version} failed: ${(err as Error).message}`, { cause: err });
      throw new PluginError('verification-failed', name, `${version} refused: ${err.message}`, { cause: err });
    }
    if (pkg.integrity !== target.integrity) throw new PluginError('verification-failed', name, `${version}: the catalog and the targets metadata name different tarballs`);
    const { unpackVerified } = await import('./verify.js');
    const result = await unpackVerified(pkg.bytes, pkg.files);
    if ('problem' in result) throw new PluginError('verification-failed', name, `${version} refused: ${result.problem}`);
    checkIdentity(name, version, result.files.get('package.json'));
    await this.store.set(tarballKey(name, version), pkg.bytes);
  }

  /**
   * fetchPackage after a TUF refresh. Downloads within TRUST_REUSE_MS of a refresh reuse it (an
   * update round fetches targets metadata once, not once per plugin), unless the version is not
   * in it yet; concurrent installs share one refresh.
   */
  private async trustedDownload(name: string, version: string): Promise<VerifiedPackage> {
    const reused = await this.trustedDownloadReady();
    try {
      return await this.catalog.trust.fetchPackage(name, version);
    } catch (err) {
      if (!reused || !isTrustError(err) || err.code !== 'unknown-target') throw err;
      await this.refreshTrust();
      return this.catalog.trust.fetchPackage(name, version);
    }
  }

  /** Refreshes TUF metadata unless a refresh within TRUST_REUSE_MS serves; true when it was reused. */
  private async trustedDownloadReady(): Promise<boolean> {
    const reused = Date.now() - this.trustRefreshedAt < TRUST_REUSE_MS;
    if (!reused) await this.refreshTrust();
    return reused;
  }

  private refreshTrust(): Promise<void> {
    this.trustRefresh ??= this.catalog.trust
      .refresh()
      .then(() => void (this.trustRefreshedAt = Date.now()))
      .finally(() => (this.trustRefresh = null));
    return this.trustRefresh;
  }

  /**
   * Writes the record (the commit point), then deletes stored files it no longer names: versions
   * beyond `keep`, revoked ones, and leftovers of a download interrupted before its commit.
   */
  private async commit(state: PluginState): Promise<void> {
    const order = [...new Set([...(state.active ? [state.active] : []), ...state.versions.map((v) => v.version)])];
    const kept = new Set(order.slice(0, this.keep));
    await writeState(this.store, { ...state, versions: state.versions.filter((v) => kept.has(v.version)), previous: state.previous.filter((v) => kept.has(v)) });
    const prefix = pluginPrefix(state.name);
    for (const key of await this.store.list(prefix)) {
      if ((key.endsWith('/package.tgz') || key.endsWith('/files.pack')) && !kept.has(key.slice(prefix.length).split('/')[0]!)) await this.store.delete(key);
    }
  }

  /** The plugin's entry in a fresh (unexpired) catalog, validated now if nothing read it before. */
  private catalogPlugin(name: string): CatalogPlugin {
    checkNameVersion(name);
    const head = this.catalog.getHead();
    if (!head) throw new PluginError('no-catalog', name, 'no verified catalog yet: installs need one');
    if (this.catalog.isStale()) throw new PluginError('catalog-stale', name, `the catalog (v${head.version}) expired at ${head.expires}: refresh it before installing`);
    const plugin = this.catalog.getPlugin(name);
    if (!plugin) throw new PluginError('not-found', name, 'not in the catalog (or its entry does not validate)');
    return plugin;
  }

  /** A version as the current catalog lists it; undefined without a catalog or such a version. */
  private listed(name: string, version: string): CatalogVersion | undefined {
    return this.catalog.getPlugin(name)?.versions.find((v) => v.version === version);
  }

  private usableVersion(plugin: CatalogPlugin, version: string): CatalogVersion {
    const found = plugin.versions.find((v) => v.version === version);
    if (!found) throw new PluginError('not-found', plugin.name, `version ${version} is not in the catalog`);
    if (found.revoked) throw new PluginError('revoked', plugin.name, `${version} was revoked: ${found.revoked.reason}`);
    if (!isHostCompatible(found, this.hostVersion)) throw new PluginError('incompatible', plugin.name, `${version} does not run on host ${this.hostVersion} (needs ${found.engines ?? `>= ${found.minHostVersion}`})`);
    checkNameVersion(plugin.name, version);
    return found;
  }

  /** Whether an installed version may run: not revoked, and compatible when the catalog lists it. */
  private runnable(name: string, version: string): boolean {
    const listed = this.listed(name, version);
    return !listed || (!listed.revoked && isHostCompatible(listed, this.hostVersion));
  }

  private async requireState(name: string): Promise<PluginState> {
    checkNameVersion(name);
    const state = await readState(this.store, name);
    if (!state) throw new PluginError('not-installed', name, 'not installed');
    return state;
  }

  /**
   * One operation per plugin at a time: two installs must not interleave their read-modify-write.
   * Other tabs of a host share its store (OPFS): where the browser has Web Locks, they wait too.
   */
  private exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const webLocks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
    const guarded = webLocks ? () => webLocks.request(`wharf-sdk-plugin:${name}`, fn) as Promise<T> : fn;
    const run = (this.locks.get(name) ?? Promise.resolve()).catch(() => undefined).then(guarded);
    this.locks.set(name, run);
    void run.finally(() => {
      if (this.locks.get(name) === run) this.locks.delete(name);
    }).catch(() => undefined);
    return run;
  }
}

/**
 * The record with `target` stored (newest install first): `fresh` is what was just stored, null when
 * it already was (recorded, or its tarball left by a download whose commit failed).
 */
function withVersion(state: PluginState, target: CatalogVersion, fresh: StoredVersion | null): PluginState {
  const entry = fresh ?? state.versions.find((v) => v.version === target.version) ?? { version: target.version, integrity: target.integrity, installedAt: new Date().toISOString() };
  return { ...state, versions: [entry, ...state.versions.filter((v) => v.version !== target.version)] };
}

/** A package's package.json must name the version it was downloaded as. */
function checkIdentity(name: string, version: string, manifest: Uint8Array | undefined): void {
  let meta: { name?: unknown; version?: unknown } = {};
  try {
    meta = manifest ? (JSON.parse(new TextDecoder().decode(manifest)) as typeof meta) : {};
  } catch {
    // Reported below as a missing identity.
  }
  if (meta.name !== name || meta.version !== version) throw new PluginError('bad-package', name, `${version}: package.json does not name ${name}@${version}`);
}

/** The record with `version` active and the one it replaces first in `previous`. */
function activated(state: PluginState, version: string): PluginState {
  const previous = state.active !== null && state.active !== version ? [state.active, ...state.previous.filter((v) => v !== state.active && v !== version)] : state.previous.filter((v) => v !== version);
  return { ...state, active: version, previous, disabled: null };
}
