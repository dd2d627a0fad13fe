import { digest, equalBytes, fromHex, fromUtf8, sriOf, utf8 } from './bytes.js';
import { TrustError } from './errors.js';
import {
  isExpired,
  parseEnvelope,
  targetEntry,
  verifyThreshold,
  type Envelope,
  type MetaFile,
  type RootSigned,
  type TargetFile,
  type TopLevelRole,
  type WharfTargetCustom,
} from './metadata.js';
import { deltaPath, verifyPackageSignature, targetPath } from './package-signature.js';
import type { TrustedMetadataStore } from './store.js';
import { fetchChecked, readLimited, type FetchLike } from './transport.js';

export interface TrustClientOptions {
  /** Base URL of the metadata, ending with `/` (e.g. `https://registry.example/trust/`). */
  metadataUrl: string;
  /** Base URL target paths are resolved against, ending with `/` (the registry root). */
  targetsUrl: string;
  fetch: FetchLike;
  store: TrustedMetadataStore;
  /** The clock; read once per refresh, which is the update's fixed start time. */
  now?: () => Date;
  /** Byte limits for metadata whose length nothing signed states yet. */
  limits?: Partial<Record<'root' | 'timestamp' | 'snapshot' | 'targets', number>>;
  maxRootRotations?: number;
}

export interface TrustedTarget {
  path: string;
  info: TargetFile;
  wharf: WharfTargetCustom | undefined;
}

export interface VerifiedPackage {
  name: string;
  version: string;
  bytes: Uint8Array;
  integrity: string;
  /** sha512 SRI per file inside the tarball, as signed in targets metadata. */
  files: Record<string, string>;
  /** Key id of the publisher key whose signature checked, or null for an unsigned publish. */
  signedBy: string | null;
}

const DEFAULT_LIMITS = { root: 512 * 1024, timestamp: 16 * 1024, snapshot: 4 * 1024 * 1024, targets: 64 * 1024 * 1024 };

/**
 * A TUF client (spec 1.0 client workflow, top-level roles) on web APIs only: the CLI uses it with
 * Node's fetch and a file store, the browser SDK with window.fetch and IndexedDB.
 */
export class TrustClient {
  private readonly limits: typeof DEFAULT_LIMITS;
  private readonly now: () => Date;
  private targetsCache: Envelope<'targets'> | null = null;
  /** Whether the root the targets were refreshed under uses consistent snapshots (hash-prefixed target files). */
  private consistentSnapshot = false;

  constructor(private readonly opts: TrustClientOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.now = opts.now ?? (() => new Date());
  }

  /** Pins a root obtained out of band; it must be signed by a threshold of its own root keys. */
  static async initialise(store: TrustedMetadataStore, rootText: string): Promise<void> {
    const root = parseEnvelope('root', rootText);
    await verifyThreshold(root.signed, 'root', root, `root v${root.signed.version}`);
    for (const role of ['timestamp', 'snapshot', 'targets'] as const) await store.remove(role);
    await store.save('root', rootText);
  }

  /** Runs the whole update: root chain, timestamp, snapshot, targets. Throws a TrustError on any failed check. */
  async refresh(): Promise<void> {
    const now = this.now();
    const root = await this.updateRoot(now);
    const timestamp = await this.updateTimestamp(root, now);
    const snapshot = await this.updateSnapshot(root, timestamp.signed.meta['snapshot.json'], now);
    this.targetsCache = await this.updateTargets(root, snapshot, now);
    this.consistentSnapshot = root.consistent_snapshot;
  }

  /** A target's signed entry, after `refresh`. */
  target(path: string): TrustedTarget | null {
    const info = targetEntry(this.requireTargets().signed, path);
    return info ? { path, info, wharf: info.custom?.wharf } : null;
  }

  /** Every version the signed catalog lists for a package, revoked ones included. */
  versionsOf(name: string): TrustedTarget[] {
    const out: TrustedTarget[] = [];
    for (const [path, raw] of Object.entries(this.requireTargets().signed.targets)) {
      if ((raw as { custom?: { wharf?: { name?: unknown } } } | null)?.custom?.wharf?.name !== name) continue;
      const target = this.target(path)!;
      if (target.wharf) out.push(target);
    }
    return out;
  }

  /** Of the given installed versions, those the signed catalog marks revoked. */
  revokedAmong(installed: { name: string; version: string }[]): { name: string; version: string; reason: string }[] {
    return installed.flatMap(({ name, version }) => {
      const revoked = this.target(targetPath(name, version))?.wharf?.revoked;
      return revoked ? [{ name, version, reason: revoked.reason }] : [];
    });
  }

  /**
   * Only the root chain (one request when nothing rotated): what a reader of documents signed under
   * the root's roles, such as the catalog, needs without downloading all targets metadata.
   */
  async refreshRoot(): Promise<RootSigned> {
    return this.updateRoot(this.now());
  }

  /** The root trusted so far, without the network (offline start); null before initialisation. */
  async trustedRoot(): Promise<RootSigned | null> {
    return (await this.loadTrusted('root'))?.signed ?? null;
  }

  /** Downloads a target, reading at most its signed length, and checks every signed hash. */
  async download(path: string): Promise<Uint8Array> {
    const target = this.target(path);
    if (!target) throw new TrustError('unknown-target', `${path} is not listed in the signed targets metadata`);
    const res = await this.fetchTarget(path, target.info.hashes);
    if (!res.ok) throw new TrustError('fetch-failed', `${path}: HTTP ${res.status}`);
    const bytes = await readLimited(res, target.info.length, path);
    if (bytes.length !== target.info.length) throw new TrustError('length-exceeded', `${path} is ${bytes.length} bytes; targets metadata says ${target.info.length}`);
    await checkHashes(bytes, target.info.hashes, path);
    return bytes;
  }

  /**
   * 5.7.3: under consistent snapshots a target file is fetched as `<dir>/<hash>.<file>`, with one of
   * its signed hashes (sha512 where listed: the registry checks that one without hashing). A mirror
   * exported before Wharf served those names, or another static copy, has only `<dir>/<file>`: on a
   * 404 that name is asked for instead. Either way the bytes are checked against the signed length
   * and hashes, so the name a file is found under decides nothing.
   */
  private async fetchTarget(path: string, hashes: Record<string, string>): Promise<Response> {
    const hashed = consistentTargetPath(path, hashes);
    if (this.consistentSnapshot && hashed) {
      const res = await fetchChecked(this.opts.fetch, this.opts.targetsUrl + hashed, path);
      if (res.status !== 404) return res;
      await res.body?.cancel().catch(() => undefined);
    }
    return fetchChecked(this.opts.fetch, this.opts.targetsUrl + path, path);
  }

  /** Downloads and checks one package version: listed, not revoked, hashes, publisher signature. */
  async fetchPackage(name: string, version: string): Promise<VerifiedPackage> {
    const path = targetPath(name, version);
    const target = this.target(path);
    if (!target) throw new TrustError('unknown-target', `${name}@${version} is not in the signed catalog`);
    const wharf = target.wharf;
    if (!wharf || wharf.name !== name || wharf.version !== version) throw new TrustError('malformed', `${path} carries no Wharf package record for ${name}@${version}`);
    if (wharf.revoked) throw new TrustError('revoked', `${name}@${version} was revoked: ${wharf.revoked.reason}`);
    const bytes = await this.download(path);
    const integrity = await sriOf(bytes);
    if (integrity !== wharf.integrity) throw new TrustError('hash-mismatch', `${path}: integrity ${integrity} differs from the signed ${wharf.integrity}`);
    let signedBy: string | null = null;
    if (wharf.signature) {
      if (!(await verifyPackageSignature(wharf.signature.public, wharf.signature.sig, { name, version, integrity, files: wharf.files }))) {
        throw new TrustError('developer-signature', `${name}@${version}: the publisher signature (key ${wharf.signature.keyid.slice(0, 12)}…) does not verify`);
      }
      signedBy = wharf.signature.keyid;
    }
    return { name, version, bytes, integrity, files: wharf.files, signedBy };
  }

  /**
   * Downloads the delta from `from` to `to` that `to`'s signed target lists, reading at most its
   * signed length and checking its sha256; returns it with the new version's signed integrity and
   * per-file hashes, against which the applied result is checked (@wharf/delta applyDelta).
   */
  async fetchDelta(name: string, from: string, to: string): Promise<{ bytes: Uint8Array; integrity: string; files: Record<string, string> }> {
    const target = this.target(targetPath(name, to));
    const wharf = target?.wharf;
    if (!wharf || wharf.name !== name || wharf.version !== to) throw new TrustError('unknown-target', `${name}@${to} is not in the signed catalog`);
    if (wharf.revoked) throw new TrustError('revoked', `${name}@${to} was revoked: ${wharf.revoked.reason}`);
    const signed = wharf.deltas?.[from];
    if (!signed) throw new TrustError('unknown-target', `no signed delta of ${name} from ${from} to ${to}`);
    const path = deltaPath(name, from, to);
    const res = await fetchChecked(this.opts.fetch, this.opts.targetsUrl + path, path);
    if (!res.ok) throw new TrustError('fetch-failed', `${path}: HTTP ${res.status}`);
    const bytes = await readLimited(res, signed.length, path);
    if (bytes.length !== signed.length) throw new TrustError('length-exceeded', `${path} is ${bytes.length} bytes; targets metadata says ${signed.length}`);
    await checkHashes(bytes, { sha256: signed.sha256 }, path);
    return { bytes, integrity: wharf.integrity, files: wharf.files };
  }

  private requireTargets(): Envelope<'targets'> {
    if (!this.targetsCache) throw new TrustError('not-initialised', 'call refresh() first');
    return this.targetsCache;
  }

  private async fetchMetadata(file: string, limit: number, label: string): Promise<{ status: number; text: string; bytes: Uint8Array }> {
    const res = await fetchChecked(this.opts.fetch, this.opts.metadataUrl + file, label);
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      return { status: res.status, text: '', bytes: new Uint8Array(0) };
    }
    const bytes = await readLimited(res, limit, label);
    let text: string;
    try {
      text = fromUtf8(bytes);
    } catch {
      throw new TrustError('malformed', `${label} is not UTF-8`);
    }
    return { status: res.status, text, bytes };
  }

  private async loadTrusted<R extends TopLevelRole>(role: R): Promise<Envelope<R> | null> {
    const text = await this.opts.store.load(role);
    return text === null ? null : parseEnvelope(role, text);
  }

  /** 5.3: walk N+1.root.json while it exists; each must be signed by the old and the new root keys. */
  private async updateRoot(now: Date): Promise<RootSigned> {
    const pinned = await this.loadTrusted('root');
    if (!pinned) throw new TrustError('not-initialised', 'no trusted root: initialise the client with a root file');
    let trusted = pinned.signed;
    const max = this.opts.maxRootRotations ?? 32;
    for (let i = 0; i < max; i++) {
      const next = trusted.version + 1;
      const got = await this.fetchMetadata(`${next}.root.json`, this.limits.root, `root v${next}`);
      if (got.status === 404 || got.status === 403) break;
      if (got.status !== 200) throw new TrustError('fetch-failed', `root v${next}: HTTP ${got.status}`);
      const candidate = parseEnvelope('root', got.text);
      try {
        await verifyThreshold(trusted, 'root', candidate, `root v${next} (checked with root v${trusted.version}'s keys)`);
        await verifyThreshold(candidate.signed, 'root', candidate, `root v${next} (checked with its own keys)`);
      } catch (err) {
        throw new TrustError('root-chain', (err as Error).message);
      }
      if (candidate.signed.version !== next) throw new TrustError('version-mismatch', `${next}.root.json holds root version ${candidate.signed.version}`);
      await this.forgetRotatedRoles(trusted, candidate.signed);
      await this.opts.store.save('root', got.text);
      trusted = candidate.signed;
    }
    if (isExpired(trusted, now)) throw new TrustError('expired', `root v${trusted.version} expired at ${trusted.expires}: the metadata is stale (frozen?)`);
    return trusted;
  }

  /** 5.3.11 fast-forward recovery: metadata signed by rotated-out keys no longer anchors rollback checks. */
  private async forgetRotatedRoles(old: RootSigned, next: RootSigned): Promise<void> {
    const same = (role: TopLevelRole) => old.roles[role].keyids.slice().sort().join() === next.roles[role].keyids.slice().sort().join();
    if (!same('timestamp')) await this.opts.store.remove('timestamp');
    if (!same('snapshot') || !same('timestamp')) await this.opts.store.remove('snapshot');
    if (!same('targets')) await this.opts.store.remove('targets');
  }

  private async trustedUnderRoot<R extends TopLevelRole>(role: R, root: RootSigned): Promise<Envelope<R> | null> {
    const env = await this.loadTrusted(role).catch(() => null);
    if (!env) return null;
    try {
      await verifyThreshold(root, role, env);
      return env;
    } catch {
      return null;
    }
  }

  /** 5.4: timestamp.json, never older than what we saw, never expired. */
  private async updateTimestamp(root: RootSigned, now: Date): Promise<Envelope<'timestamp'>> {
    const got = await this.fetchMetadata('timestamp.json', this.limits.timestamp, 'timestamp');
    if (got.status !== 200) throw new TrustError('fetch-failed', `timestamp: HTTP ${got.status}`);
    const fresh = parseEnvelope('timestamp', got.text);
    await verifyThreshold(root, 'timestamp', fresh);
    const trusted = await this.trustedUnderRoot('timestamp', root);
    if (trusted) {
      if (fresh.signed.version < trusted.signed.version) {
        throw new TrustError('rollback', `timestamp version ${fresh.signed.version} is older than the trusted ${trusted.signed.version}`);
      }
      // 5.4.3.2 (spec 1.0.30): the same version means no update, whatever the new file holds; the
      // trusted timestamp stays, and with it the snapshot and targets already trusted.
      if (fresh.signed.version === trusted.signed.version) {
        if (isExpired(trusted.signed, now)) throw new TrustError('expired', `timestamp v${trusted.signed.version} expired at ${trusted.signed.expires}: the metadata is stale (frozen?)`);
        return trusted;
      }
      const was = trusted.signed.meta['snapshot.json'].version;
      if (fresh.signed.meta['snapshot.json'].version < was) {
        throw new TrustError('rollback', `timestamp names snapshot version ${fresh.signed.meta['snapshot.json'].version}, older than the trusted ${was}`);
      }
    }
    if (isExpired(fresh.signed, now)) throw new TrustError('expired', `timestamp v${fresh.signed.version} expired at ${fresh.signed.expires}: the metadata is stale (frozen?)`);
    await this.opts.store.save('timestamp', got.text);
    return fresh;
  }

  /** 5.5: the snapshot the timestamp names (length, hashes, version), never dropping or lowering a file version. */
  private async updateSnapshot(root: RootSigned, meta: MetaFile, now: Date): Promise<Envelope<'snapshot'>> {
    const kept = await this.trustedAsListed('snapshot', root, meta, now);
    if (kept) return kept;
    const file = root.consistent_snapshot ? `${meta.version}.snapshot.json` : 'snapshot.json';
    const { env: fresh, text } = await this.fetchListed('snapshot', file, meta, this.limits.snapshot);
    await verifyThreshold(root, 'snapshot', fresh);
    if (fresh.signed.version !== meta.version) {
      throw new TrustError('version-mismatch', `snapshot is version ${fresh.signed.version}; the timestamp names version ${meta.version} (mix-and-match?)`);
    }
    const trusted = await this.trustedUnderRoot('snapshot', root);
    if (trusted) {
      for (const [name, old] of Object.entries(trusted.signed.meta)) {
        const listed = fresh.signed.meta[name];
        if (!listed) throw new TrustError('rollback', `snapshot v${fresh.signed.version} no longer lists ${name}`);
        if (listed.version < old.version) throw new TrustError('rollback', `snapshot names ${name} version ${listed.version}, older than the trusted ${old.version}`);
      }
    }
    if (isExpired(fresh.signed, now)) throw new TrustError('expired', `snapshot v${fresh.signed.version} expired at ${fresh.signed.expires}`);
    await this.opts.store.save('snapshot', text);
    return fresh;
  }

  /** 5.6: the targets the snapshot names. */
  private async updateTargets(root: RootSigned, snapshot: Envelope<'snapshot'>, now: Date): Promise<Envelope<'targets'>> {
    const meta = snapshot.signed.meta['targets.json'];
    if (!meta) throw new TrustError('malformed', 'snapshot does not list targets.json');
    const kept = await this.trustedAsListed('targets', root, meta, now);
    if (kept) return kept;
    const file = root.consistent_snapshot ? `${meta.version}.targets.json` : 'targets.json';
    const { env: fresh, text } = await this.fetchListed('targets', file, meta, this.limits.targets);
    await verifyThreshold(root, 'targets', fresh);
    if (fresh.signed.version !== meta.version) {
      throw new TrustError('version-mismatch', `targets is version ${fresh.signed.version}; the snapshot names version ${meta.version} (mix-and-match?)`);
    }
    if (isExpired(fresh.signed, now)) throw new TrustError('expired', `targets v${fresh.signed.version} expired at ${fresh.signed.expires}`);
    await this.opts.store.save('targets', text);
    return fresh;
  }

  /**
   * The trusted copy of a role, when it is the very file the metadata above it lists (version,
   * length, hashes), still signed under the root and not expired: no download (5.5.1/5.6.1 allow
   * the local copy). A registry with many versions has a targets file of megabytes that changes far
   * less often than the timestamp.
   */
  private async trustedAsListed<R extends 'snapshot' | 'targets'>(role: R, root: RootSigned, meta: MetaFile, now: Date): Promise<Envelope<R> | null> {
    const text = await this.opts.store.load(role);
    if (text === null) return null;
    const trusted = await this.trustedUnderRoot(role, root);
    if (!trusted || trusted.signed.version !== meta.version || isExpired(trusted.signed, now)) return null;
    const bytes = utf8(text);
    if (meta.length !== undefined && bytes.length !== meta.length) return null;
    try {
      if (meta.hashes) await checkHashes(bytes, meta.hashes, role);
    } catch {
      return null;
    }
    return trusted;
  }

  private async fetchListed<R extends 'snapshot' | 'targets'>(role: R, file: string, meta: MetaFile, fallbackLimit: number): Promise<{ env: Envelope<R>; text: string }> {
    const got = await this.fetchMetadata(file, meta.length ?? fallbackLimit, role);
    if (got.status !== 200) throw new TrustError('fetch-failed', `${role} (${file}): HTTP ${got.status}`);
    if (meta.length !== undefined && got.bytes.length !== meta.length) {
      throw new TrustError('hash-mismatch', `${file} is ${got.bytes.length} bytes; ${meta.length} were signed (mix-and-match?)`);
    }
    if (meta.hashes) await checkHashes(got.bytes, meta.hashes, file);
    return { env: parseEnvelope(role, got.text), text: got.text };
  }
}

/** Every listed hash we know must match; at least one must be known. */
async function checkHashes(bytes: Uint8Array, hashes: Record<string, string>, label: string): Promise<void> {
  let checked = 0;
  for (const algorithm of ['sha256', 'sha512'] as const) {
    const expected = hashes[algorithm];
    if (expected === undefined) continue;
    if (!equalBytes(await digest(algorithm, bytes), fromHex(expected))) throw new TrustError('hash-mismatch', `${label}: ${algorithm} differs from the signed hash`);
    checked++;
  }
  if (checked === 0) throw new TrustError('hash-mismatch', `${label}: no supported hash (sha256/sha512) is listed`);
}

/**
 * Where a target file is under consistent snapshots (TUF 5.7.3): `<dir>/<hash>.<file>`, with its
 * sha512 where listed (what Wharf's client asks for and its mirrors hold), else its first hash.
 */
export function consistentTargetPath(path: string, hashes: Record<string, string>): string | null {
  const hash = hashes.sha512 ?? Object.values(hashes)[0];
  if (!hash) return null;
  const slash = path.lastIndexOf('/') + 1;
  return `${path.slice(0, slash)}${hash}.${path.slice(slash)}`;
}
