import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import semver from 'semver';
import {
  isPackageNameError,
  isStrictSemver,
  isValidDistTag,
  parsePackageName,
  tarballFileName,
  type PackageName,
  type PackumentWrite,
} from '@wharf/core';
import type { MetadataStore } from '../storage/metadata-store.js';
import { BlobCorruptError, type BlobStore } from '../storage/blob-store.js';
import { publishOutcome, type PackageDocument, type VersionRow } from '../storage/package-repository.js';
import type { Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { ChangeFeed } from '../storage/change-feed.js';
import type { Metrics } from '../ops/metrics.js';
import { badRequest, conflict, forbidden, notFound, tooLarge, unprocessable } from '../errors.js';
import { isAdmin, requireWriter, type Principal } from '../access/principal.js';
import { abbreviatedPackument, fullPackument, versionDocument, type DistSigner, type VersionDocument } from './packument.js';
import { BlobCache, PackageCache, type Rendered } from './package-cache.js';
import { inspectTarball, TarballError, type TarballLimits } from './tarball-inspector.js';
import type { DomainEvents, PublishCandidate, PublishedVersion } from '../events/domain-events.js';
import { checkDeclaredHashes, checkManifestMatches } from './publish-checks.js';

/** Runs an unpublish's database change in a transaction (see `removalsThrough`). */
export type RemovalRunner = (remove: (trx: Transaction<Database>) => Promise<void>) => Promise<void>;

export type PackumentKind = 'full' | 'abbreviated';

export interface RegistryLimits extends TarballLimits {
  maxTarballBytes: number;
}

export interface TarballRef {
  key: string;
  size: number;
  integrity: string;
}


/**
 * The npm registry's behaviour, independent of HTTP: publish, read, tag, deprecate, unpublish.
 * Reads go through a per-process cache that every write (here or on another replica) invalidates.
 */
export class RegistryService {
  private readonly cache = new PackageCache();
  private readonly blobCache = new BlobCache();
  private runRemoval: RemovalRunner = (remove) => this.transaction(remove);

  constructor(
    private readonly store: MetadataStore,
    private readonly blobs: BlobStore,
    private readonly changes: ChangeFeed,
    private readonly metrics: Metrics,
    private readonly limits: RegistryLimits,
    private readonly signer: DistSigner,
    /** Where validators may refuse a publish and other capabilities hear of committed changes. */
    private readonly events: DomainEvents,
    private readonly now: () => Date = () => new Date(),
  ) {
    changes.onPackageChanged((name) => this.cache.invalidate(name));
    changes.onReset(() => this.cache.clear());
  }

  /**
   * Every write here ends with it; another service that changed what a package document holds (an
   * account erasure renaming its owner and publisher) calls it too, so caches, replicas and the CDN
   * follow: every replica hears of it through the change feed, and this replica's steps run once
   * (`package.changed`), for side effects that must happen once per change, such as purging a CDN.
   */
  async changed(name: string): Promise<void> {
    await this.changes.packageChanged(name);
    await this.events.emit('package.changed', { name });
  }

  /**
   * Unpublishes run through `runner` instead of a bare transaction: trust signs the targets that no
   * longer list the removed versions in the same transaction, so no reader sees one without the other.
   */
  removalsThrough(runner: RemovalRunner): void {
    this.runRemoval = runner;
  }

  async document(name: string): Promise<PackageDocument | null> {
    const cached = this.cache.getDoc(name);
    if (cached) return cached;
    const doc = await this.store.packages.getDocument(name);
    if (doc) this.cache.setDoc(name, doc);
    return doc;
  }

  async packument(name: string, kind: PackumentKind, baseUrl: string): Promise<Rendered | null> {
    const doc = await this.document(name);
    if (!doc) return null;
    return this.cache.rendered(name, `${kind}\0${baseUrl}`, () => {
      const body = JSON.stringify(kind === 'full' ? fullPackument(doc, baseUrl, this.signer) : abbreviatedPackument(doc, baseUrl, this.signer));
      return { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
    });
  }

  /**
   * Stores an npm signature for every version that has none by the current key (published before
   * the registry signed, or signed by a replaced key), a batch at a time, and tells every replica to
   * drop its copies of those packages. Run in the background at start; stops when `signal` aborts.
   */
  async signUnsignedVersions(signal: AbortSignal, batch = 500): Promise<number> {
    let signed = 0;
    while (!signal.aborted) {
      const rows = await this.store.packages.versionsNotSignedBy(this.signer.keyid, batch);
      if (rows.length === 0) break;
      for (const row of rows) await this.store.packages.setNpmSignature(this.store.db, row.package, row.version, JSON.stringify(this.signer.sign(row.package, row.version, row.integrity)));
      for (const name of new Set(rows.map((r) => r.package))) await this.changes.packageChanged(name);
      signed += rows.length;
    }
    return signed;
  }

  /** `GET /<name>/<version>`: one version document, signed like the packument's. */
  versionDocument(row: VersionRow, baseUrl: string): VersionDocument {
    return versionDocument(row, baseUrl, this.signer);
  }

  /**
   * A version's tarball by its file name, or by the name TUF clients use under consistent snapshots
   * (the root says `consistent_snapshot: true`): `<sha256 or sha512 hex>.<file>`, which must be the
   * hash of that tarball, as the signed targets list it.
   */
  async tarball(name: string, file: string): Promise<TarballRef | null> {
    const hashed = /^([0-9a-f]{64}|[0-9a-f]{128})\.(.+)$/.exec(file);
    const ref = await this.tarballNamed(name, hashed ? hashed[2]! : file);
    if (!ref || !hashed) return ref;
    const hex = hashed[1]!;
    if (hex.length === 128) return Buffer.from(ref.integrity.slice('sha512-'.length), 'base64').toString('hex') === hex ? ref : null;
    // sha256 is not stored with the version: hashed here, about a millisecond per megabyte.
    const bytes = await this.tarballBytes(ref);
    return bytes && createHash('sha256').update(bytes).digest('hex') === hex ? ref : null;
  }

  /** Finds the version a tarball file name (`<bare>-<version>.tgz`) refers to. */
  private async tarballNamed(name: string, file: string): Promise<TarballRef | null> {
    const parsed = parsePackageName(name);
    if (isPackageNameError(parsed) || !file.startsWith(`${parsed.bare}-`) || !file.endsWith('.tgz')) return null;
    const version = file.slice(parsed.bare.length + 1, -'.tgz'.length);
    const doc = await this.document(name);
    const row = doc?.versions.find((v) => v.version === version);
    return row ? { key: row.blob_key, size: row.size, integrity: row.integrity } : null;
  }

  /**
   * Tarball bytes, from memory when small and hot. Always read whole and verified against the key before
   * a byte is sent (tarballs are bounded by maxTarballBytes), so a corrupt blob is a 500, never a 200 with
   * wrong bytes, and never enters the cache.
   */
  async tarballBytes(ref: TarballRef): Promise<Buffer | null> {
    const hit = this.blobCache.get(ref.key);
    if (hit) return hit;
    try {
      const bytes = await this.blobs.get(ref.key);
      if (bytes) this.blobCache.set(ref.key, bytes);
      return bytes;
    } catch (err) {
      if (err instanceof BlobCorruptError) this.metrics.corruptBlobs.inc();
      throw err;
    }
  }

  /** A stored tarball by its blob key, whatever its size: for capabilities that repair what they derive from it. */
  storedTarball(blobKey: string): Promise<Buffer | null> {
    return this.blobs.get(blobKey);
  }

  tarballStream(ref: TarballRef): Readable {
    return this.blobs.stream(ref.key);
  }

  async publish(principal: Principal | null, urlName: string, body: PackumentWrite): Promise<PublishedVersion> {
    const caller = requireWriter(principal);
    const pkg = this.checkName(urlName, body.name);
    const versionKeys = Object.keys(body.versions);
    const attachments = Object.entries(body._attachments ?? {});
    if (versionKeys.length !== 1) throw badRequest(`a publish must carry exactly one version, got ${versionKeys.length}`);
    if (attachments.length !== 1) throw badRequest(`a publish must carry exactly one tarball attachment, got ${attachments.length}`);
    const version = versionKeys[0]!;
    const manifest = body.versions[version]!;
    if (!isStrictSemver(version)) throw unprocessable(`version "${version}" is not strict SemVer (MAJOR.MINOR.PATCH[-prerelease][+build])`);
    if (manifest.name !== pkg.name || manifest.version !== version) throw unprocessable(`the version document names ${manifest.name}@${manifest.version}, not ${pkg.name}@${version}`);
    // Cheap refusals before decoding and storing anything: a stranger cannot fill the blob store.
    const existing = await this.document(pkg.name);
    if (existing && !existing.owners.some((o) => o.name === caller.name)) throw forbidden(notOwnerMessage(caller, pkg.name));
    if (existing?.versions.some((v) => v.version === version)) throw conflict(republishMessage(pkg.name, version));
    const [attachmentName, attachment] = attachments[0]!;
    if (attachmentName !== tarballFileName(pkg.name, version) && attachmentName !== `${pkg.name}-${version}.tgz`) {
      throw badRequest(`attachment ${attachmentName} does not match ${tarballFileName(pkg.name, version)}`);
    }
    const tarball = Buffer.from(attachment.data, 'base64');
    if (tarball.length > this.limits.maxTarballBytes) throw tooLarge(`tarball is ${tarball.length} bytes; the limit is ${this.limits.maxTarballBytes}`);
    if (attachment.length !== undefined && attachment.length !== tarball.length) throw unprocessable(`attachment length says ${attachment.length} bytes but carries ${tarball.length}`);
    const sha512 = createHash('sha512').update(tarball).digest();
    const integrity = `sha512-${sha512.toString('base64')}`;
    const shasum = createHash('sha1').update(tarball).digest('hex');
    checkDeclaredHashes(manifest.dist, tarball, shasum);

    const tags = this.publishTags(body['dist-tags'], version);
    let facts;
    try {
      facts = await inspectTarball(tarball, this.limits);
    } catch (err) {
      if (err instanceof TarballError) throw unprocessable(err.message);
      throw err;
    }
    if (facts.packageJson.name !== pkg.name || facts.packageJson.version !== version) {
      throw unprocessable(`package.json in the tarball is ${String(facts.packageJson.name)}@${String(facts.packageJson.version)}, not ${pkg.name}@${version}`);
    }
    checkManifestMatches(manifest, facts.packageJson);
    const candidate: PublishCandidate = { name: pkg.name, version, manifest, packageJson: facts.packageJson, integrity, files: facts.files, fileHashes: facts.fileHashes, tarball, principal: caller };
    // Policy checks that may refuse (vulnerabilities, signatures): before the tarball is stored; a thrown HttpError is the answer.
    await this.events.check('version.publishing', candidate);

    const key = sha512.toString('hex');
    await this.blobs.put(key, tarball);
    const user = await this.store.auth.getUserById(caller.userId);
    const { readme: manifestReadme, readmeFilename: _drop, ...stored } = manifest as Record<string, unknown>;
    const storedDist = { ...(manifest.dist ?? {}) };
    delete storedDist.tarball;
    const now = this.now().toISOString();
    const row: VersionRow = {
      package: pkg.name,
      version,
      manifest: JSON.stringify({ ...stored, dist: storedDist, _npmUser: { name: caller.name, email: user?.email ?? '' } }),
      integrity,
      shasum,
      size: tarball.length,
      blob_key: key,
      deprecated: typeof manifest.deprecated === 'string' && manifest.deprecated !== '' ? manifest.deprecated : null,
      published_at: now,
      publisher_id: caller.userId,
      npm_signature: JSON.stringify(this.signer.sign(pkg.name, version, integrity)),
    };
    const readme = typeof body.readme === 'string' ? body.readme : typeof manifestReadme === 'string' ? manifestReadme : null;
    const keywords = Array.isArray(manifest.keywords) ? manifest.keywords.filter((k): k is string => typeof k === 'string') : [];
    const input = {
      name: pkg.name,
      scope: pkg.scope,
      version: row,
      tags,
      description: typeof manifest.description === 'string' ? manifest.description : (body.description ?? null),
      readme,
      keywords,
      now,
    };
    const outcome = await this.transaction((trx) => this.store.packages.publish(trx, input)).then(
      () => 'published' as const,
      (err: unknown) => publishOutcome(err) ?? Promise.reject(err),
    );
    switch (outcome) {
      case 'not-owner':
        throw forbidden(notOwnerMessage(caller, pkg.name));
      case 'scope-taken':
        throw forbidden(`scope @${pkg.scope} belongs to another user: only its owner may create packages in it`);
      case 'version-exists':
        throw conflict(republishMessage(pkg.name, version));
      case 'version-tombstoned':
        throw conflict(`version ${version} of ${pkg.name} was unpublished and cannot be reused: publish a new version`);
      case 'published':
        break;
    }
    await this.changed(pkg.name);
    this.metrics.publishes.inc();
    const published: PublishedVersion = { name: pkg.name, version, tags, integrity, files: facts.files, fileHashes: facts.fileHashes, packageJson: facts.packageJson, tarball, principal: caller };
    // Signatures, SBOM, search index: awaited, so a reader right after the publish sees them, but none
    // can fail it (the version is committed; npm would report a failure and its retry get 409). Each
    // step repairs its own derived data (trust reconciliation, SBOM on first read, reindex).
    await this.events.emit('version.published', published);
    return published;
  }

  /**
   * `PUT /<name>` without attachments, or `PUT /<name>/-rev/<rev>`: npm sends the whole document back
   * with its changes. Deprecation messages and the owner list are applied; versions missing from the
   * document are unpublished only on the `-rev` form (`allowRemovals`), as the npm CLI uses it.
   */
  async updateDocument(principal: Principal | null, urlName: string, body: PackumentWrite, allowRemovals: boolean): Promise<void> {
    const caller = requireWriter(principal);
    const pkg = this.checkName(urlName, body.name);
    const doc = await this.requireOwnedDocument(caller, pkg.name);
    const now = this.now().toISOString();
    const deprecations = new Map<string, string | null>();
    for (const [version, manifest] of Object.entries(body.versions)) {
      const row = doc.versions.find((v) => v.version === version);
      if (!row) throw badRequest(`version ${version} of ${pkg.name} does not exist: publish it with npm publish`);
      const message = typeof manifest.deprecated === 'string' && manifest.deprecated !== '' ? manifest.deprecated : null;
      if (message !== row.deprecated) deprecations.set(version, message);
    }
    const removed = allowRemovals ? doc.versions.map((v) => v.version).filter((v) => !(v in body.versions)) : [];
    if (removed.length === doc.versions.length && removed.length > 0) {
      throw badRequest(`this would unpublish every version of ${pkg.name}: unpublish the whole package instead (npm unpublish ${pkg.name} --force)`);
    }
    const owners = await this.requestedOwners(body, doc);
    const write = async (trx: Transaction<Database>) => {
      if (deprecations.size > 0) await this.store.packages.setDeprecations(trx, pkg.name, deprecations, now);
      if (removed.length > 0) await this.store.packages.removeVersions(trx, pkg.name, removed, now);
      if (owners) await this.store.packages.setOwners(trx, pkg.name, owners, now);
    };
    // One document, one transaction; with removals, the one that re-signs the targets too.
    await (removed.length > 0 ? this.runRemoval(write) : this.transaction(write));
    await this.changed(pkg.name);
  }

  async unpublishPackage(principal: Principal | null, name: string): Promise<void> {
    const caller = requireWriter(principal);
    await this.requireOwnedDocument(caller, name);
    const now = this.now().toISOString();
    await this.runRemoval((trx) => this.store.packages.removePackage(trx, name, now));
    await this.changed(name);
  }

  /** `DELETE /<name>/-/<file>/-rev/<rev>`, the last step of a version unpublish: the version is already gone. */
  async confirmTarballRemoval(principal: Principal | null, name: string): Promise<void> {
    const caller = requireWriter(principal);
    await this.requireOwnedDocument(caller, name);
  }

  /** `npm access list collaborators`: the owners, sorted. Every owner may publish; there is no read-only collaborator. */
  async owners(name: string): Promise<string[]> {
    const doc = await this.document(name);
    if (!doc) throw notFound(`package ${name} not found`);
    return doc.owners.map((o) => o.name);
  }

  /** `npm access list packages <user>`: the packages the user owns. */
  async packagesOwnedBy(user: string): Promise<string[]> {
    const names = await this.store.packages.packagesOwnedBy(user);
    if (names === null) throw notFound(`user ${user} not found`);
    return names;
  }

  /** `npm access list packages @scope`: the packages in a claimed scope. */
  async packagesInScope(scope: string): Promise<string[]> {
    const names = await this.store.packages.packagesInScope(scope);
    if (names === null) throw notFound(`scope @${scope} not found`);
    return names;
  }

  /**
   * `npm access set status=…|mfa=…`. Every package on a Wharf registry is readable by whoever reaches
   * it and publishing needs a token, not a second factor: the settings that already hold are
   * accepted (from an owner), the others refused with what to do instead, so nothing pretends to apply.
   */
  async setAccess(principal: Principal | null, name: string, body: { access?: 'public' | 'restricted'; publish_requires_tfa?: boolean }): Promise<void> {
    const caller = requireWriter(principal);
    await this.requireOwnedDocument(caller, name);
    if (body.access === 'restricted') throw badRequest('every package on this registry is public to whoever can reach it: restricted access is not offered (serve it from a registry behind your own network)');
    if (body.publish_requires_tfa === true) throw badRequest('this registry has no two-factor authentication: publishing needs a write token (scope it with wharf token create --role, --cidr)');
  }

  async distTags(name: string): Promise<Record<string, string>> {
    const doc = await this.document(name);
    if (!doc) throw notFound(`package ${name} not found`);
    return doc.tags;
  }

  async setDistTag(principal: Principal | null, name: string, tag: string, version: string): Promise<void> {
    const caller = requireWriter(principal);
    if (!isValidDistTag(tag)) throw badRequest(`invalid dist-tag "${tag}": tags start with a letter and must not be valid SemVer ranges`);
    const doc = await this.requireOwnedDocument(caller, name);
    if (!doc.versions.some((v) => v.version === version)) throw notFound(`version ${version} of ${name} does not exist`);
    await this.transaction((trx) => this.store.packages.setDistTag(trx, name, tag, version, this.now().toISOString()));
    await this.changed(name);
  }

  /**
   * A tag moved by release control rather than by an owner (a staged rollout reaching 100 %): the
   * same store write and the same change path (caches, replicas, CDN purge) as `npm dist-tag add`.
   */
  async moveDistTag(name: string, tag: string, version: string): Promise<void> {
    await this.transaction((trx) => this.store.packages.setDistTag(trx, name, tag, version, this.now().toISOString()));
    await this.changed(name);
  }

  async removeDistTag(principal: Principal | null, name: string, tag: string): Promise<void> {
    const caller = requireWriter(principal);
    if (tag === 'latest') throw badRequest('the latest tag cannot be removed: point it at another version instead');
    const doc = await this.requireOwnedDocument(caller, name);
    if (!(tag in doc.tags)) throw notFound(`${name} has no dist-tag "${tag}"`);
    await this.transaction((trx) => this.store.packages.removeDistTag(trx, name, tag, this.now().toISOString()));
    await this.changed(name);
  }

  private transaction<T>(write: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.store.db.transaction().execute(write);
  }

  private checkName(urlName: string, bodyName: string | undefined): PackageName {
    const parsed = parsePackageName(urlName);
    if (isPackageNameError(parsed)) throw badRequest(parsed.error);
    if (bodyName !== undefined && bodyName !== urlName) throw badRequest(`the document names ${bodyName} but was sent to ${urlName}`);
    return parsed;
  }

  private async requireOwnedDocument(caller: Principal, name: string): Promise<PackageDocument> {
    const doc = await this.store.packages.getDocument(name);
    if (!doc) throw notFound(`package ${name} not found`);
    if (!isAdmin(caller) && !doc.owners.some((o) => o.name === caller.name)) throw forbidden(`you (${caller.name}) are not an owner of ${name}`);
    return doc;
  }

  /** Dist-tags a publish moves: those the client sent (all must name the published version), else `latest`. */
  private publishTags(sent: Record<string, string> | undefined, version: string): string[] {
    const tags = Object.entries(sent ?? {});
    if (tags.length === 0) return semver.prerelease(version) ? [] : ['latest'];
    for (const [tag, target] of tags) {
      if (!isValidDistTag(tag)) throw badRequest(`invalid dist-tag "${tag}": tags start with a letter and must not be valid SemVer ranges`);
      if (target !== version) throw badRequest(`dist-tag ${tag} points at ${target}, not at the version being published (${version})`);
    }
    return tags.map(([tag]) => tag);
  }

  /** The owner list npm owner add/rm sends as `maintainers`, as user ids; null when unchanged. */
  private async requestedOwners(body: PackumentWrite, doc: PackageDocument): Promise<string[] | null> {
    const maintainers = body.maintainers;
    if (!Array.isArray(maintainers)) return null;
    const names = [...new Set(maintainers.map((m) => (m && typeof m === 'object' ? String((m as { name?: unknown }).name ?? '') : '')))].sort();
    if (names.join('\0') === doc.owners.map((o) => o.name).sort().join('\0')) return null;
    if (names.length === 0 || names.includes('')) throw badRequest('a package must keep at least one owner, each with a name');
    const ids: string[] = [];
    for (const name of names) {
      const user = await this.store.auth.getUserByName(name);
      if (!user) throw notFound(`user ${name} does not exist`);
      ids.push(user.id);
    }
    return ids;
  }
}

const notOwnerMessage = (caller: Principal, name: string) =>
  `you (${caller.name}) are not an owner of ${name}: ask an owner to run \`npm owner add ${caller.name} ${name}\``;
const republishMessage = (name: string, version: string) => `cannot publish over the previously published version ${version} of ${name}`;
