import { createHash } from 'node:crypto';
import {
  PackageSignatureFieldSchema,
  isPackageNameError,
  isTrustError,
  parseEnvelope,
  parsePackageName,
  publicPart,
  packageDigestPayload,
  targetPath,
  verifyPackageSignature,
  verifyThreshold,
  TOP_LEVEL_ROLES,
  type DsseEnvelope,
  type KeyPairFile,
  type RevokeBody,
  type RootSigned,
  type TopLevelRole,
} from '@wharf/core';
import { badRequest, forbidden, notFound, unprocessable } from '../errors.js';
import { isAdmin, requireWriter, type Principal } from '../access/principal.js';
import { authorize } from '../access/permissions.js';
import type { MetadataStore } from '../storage/metadata-store.js';
import type { DomainEvents, PublishCandidate, PublishedVersion } from '../events/domain-events.js';
import { metaFileFor, rootDocument, sign, signRootDocument, snapshotMetadata, targetsMetadata, timestampMetadata } from './catalog.js';
import { tarballFileHashes } from '@wharf/tarball/node';
import type { Keyring } from './keyring.js';
import { signNative } from './native-signer.js';
import { provenanceEnvelope, repositoryOf } from './provenance.js';
import { TrustRepository } from './trust-repository.js';
import type { Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { AuditLog } from '../audit/audit-log.js';

/** Where a new metadata version starts: each role's new version forces those below it. */
type IssueFrom = 'targets' | 'snapshot' | 'timestamp';
const ISSUE_ORDER: readonly IssueFrom[] = ['targets', 'snapshot', 'timestamp'];

const DAY = 24 * 3600 * 1000;
/**
 * How old a stored version without a trust record must be before reconcile takes it over: long
 * enough for a publish still running its after-commit steps (on any replica) to finish them.
 */
const DEFAULT_SETTLE_MS = 30_000;

/** How long each role's metadata stays valid; re-signed when a quarter of that is left. */
export interface TrustLifetimes {
  root: number;
  targets: number;
  snapshot: number;
  timestamp: number;
}
export const DEFAULT_LIFETIMES: TrustLifetimes = { root: 365 * DAY, targets: 90 * DAY, snapshot: 7 * DAY, timestamp: DAY };

interface Checked {
  files: Record<string, string>;
  signature: { keyid: string; sig: string; public: string } | null;
  /** npm writes `gitHead` into the version document, not into package.json. */
  commit: string | null;
}

/**
 * The registry side of trust: issues TUF metadata for every published version, checks and
 * countersigns publisher signatures, records provenance, revokes, and accepts new roots.
 */
export class TrustService {
  /** Work done in beforePublish, handed to the after-publish hook without hashing twice. */
  private readonly checked = new WeakMap<Buffer, Checked>();
  /** Metadata versions are issued one change at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private waiting: { from: IssueFrom; run: Promise<void> } | null = null;

  constructor(
    private readonly repo: TrustRepository,
    private readonly store: MetadataStore,
    private readonly keyring: Keyring,
    private readonly audit: AuditLog,
    private readonly opts: { builderId: string; lifetimes?: TrustLifetimes; now?: () => Date; events?: DomainEvents },
  ) {}

  private get lifetimes(): TrustLifetimes {
    return this.opts.lifetimes ?? DEFAULT_LIFETIMES;
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /** First start: one fresh key per role, root v1 signed by its root key, then a first catalog. */
  async init(): Promise<void> {
    if (!(await this.repo.latestMetadata('root'))) {
      const roles = {} as Record<TopLevelRole, { keys: { keyid: string; key: ReturnType<typeof publicPart> }[]; threshold: number }>;
      for (const role of TOP_LEVEL_ROLES) {
        const pair = await this.keyring.generate();
        roles[role] = { keys: [{ keyid: pair.keyid, key: publicPart(pair) }], threshold: 1 };
      }
      const doc = rootDocument(1, new Date(this.now().getTime() + this.lifetimes.root), roles);
      const root = parseEnvelope('root', JSON.stringify(doc)).signed;
      const body = signRootDocument(doc, this.keyring.forRole(root, 'root'));
      await this.repo.insertMetadata([{ role: 'root', version: 1, body, expires: root.expires }], this.now().toISOString());
    }
    if (!(await this.repo.latestMetadata('timestamp'))) await this.issue('targets');
  }

  async metadata(role: TopLevelRole, version?: number): Promise<string | null> {
    if (version !== undefined) return this.repo.metadataVersion(role, version);
    return (await this.repo.latestMetadata(role))?.body ?? null;
  }

  async root(repo: TrustRepository = this.repo): Promise<RootSigned> {
    const latest = await repo.latestMetadata('root');
    if (!latest) throw new Error('trust metadata is not initialised');
    return parseEnvelope('root', latest.body).signed;
  }

  /**
   * New metadata versions: from `targets` down (a catalog change), from `snapshot` down, or only
   * a timestamp (expiry). Each is signed by every key this server holds for the role.
   */
  issue(from: IssueFrom): Promise<void> {
    // Group commit: an issue waiting behind the running one reads the database only when it starts,
    // so it covers every change committed before then. Concurrent publishes share it instead of
    // each re-signing all targets (which costs O(registry size)) in turn. It starts after a turn of
    // the event loop: signing blocks the loop, so without that turn the publishes still under way
    // never reach the queue before the next issue starts (20 concurrent publishes: 20 issues, now 3-5).
    if (this.waiting) {
      this.waiting.from = ISSUE_ORDER.indexOf(from) < ISSUE_ORDER.indexOf(this.waiting.from) ? from : this.waiting.from;
      return this.waiting.run;
    }
    const waiting: { from: IssueFrom; run: Promise<void> } = { from, run: Promise.resolve() };
    waiting.run = this.queue
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(() => {
        this.waiting = null;
        return this.issueNow(waiting.from);
      });
    this.waiting = waiting;
    this.queue = waiting.run.catch(() => undefined);
    return waiting.run;
  }

  /**
   * Runs a change to what targets list (an unpublish, a revocation) and the new targets, snapshot and
   * timestamp in one transaction, in turn with every other issue: no reader ever sees the change
   * without signed metadata that agrees with it, nor metadata listing a version already gone.
   */
  changeTargets<T>(change: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      const result = await this.repo.transaction(async (repo, trx) => {
        const changed = await change(trx);
        await this.issueNow('targets', repo);
        return changed;
      });
      this.targetsIssued();
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async issueNow(from: IssueFrom, repo: TrustRepository = this.repo): Promise<void> {
    // Read through `repo`: SQLite has one connection, which an open transaction holds.
    const root = await this.root(repo);
    const now = this.now();
    const at = (ms: number) => new Date(now.getTime() + ms);
    const rows: { role: string; version: number; body: string; expires: string }[] = [];
    const latest = { targets: await repo.latestMetadata('targets'), snapshot: await repo.latestMetadata('snapshot'), timestamp: await repo.latestMetadata('timestamp') };
    let targets = latest.targets;
    if (from === 'targets' || !targets) {
      const version = (targets?.version ?? 0) + 1;
      const signed = targetsMetadata(version, at(this.lifetimes.targets), await repo.catalog(), await repo.offeredDeltas());
      targets = { version, body: sign(signed, this.keysFor(root, 'targets')), expires: signed.expires };
      rows.push({ role: 'targets', ...targets });
    }
    let snapshot = latest.snapshot;
    if (from !== 'timestamp' || !snapshot || rows.length > 0) {
      const version = (snapshot?.version ?? 0) + 1;
      const md = snapshotMetadata(version, at(this.lifetimes.snapshot), metaFileFor(targets.version, targets.body));
      snapshot = { version, body: sign(md.signed.toJSON(), this.keysFor(root, 'snapshot')), expires: md.signed.expires };
      rows.push({ role: 'snapshot', ...snapshot });
    }
    const version = (latest.timestamp?.version ?? 0) + 1;
    const md = timestampMetadata(version, at(this.lifetimes.timestamp), metaFileFor(snapshot.version, snapshot.body));
    rows.push({ role: 'timestamp', version, body: sign(md.signed.toJSON(), this.keysFor(root, 'timestamp')), expires: md.signed.expires });
    await repo.insertMetadata(rows, now.toISOString());
    // Inside a transaction the listeners wait for its commit (changeTargets tells them).
    if (rows[0]?.role === 'targets' && repo === this.repo) this.targetsIssued();
  }

  /** After each new targets version: a publish, a revocation or a new root changed what is trusted. */
  private targetsIssued(): void {
    void this.opts.events?.emit('targets.issued', {});
  }

  /** The current root and the keys this server holds for one of its roles, to sign documents under that role. */
  async signingKeys(role: TopLevelRole): Promise<{ root: RootSigned; keys: KeyPairFile[] }> {
    const root = await this.root();
    return { root, keys: this.keysFor(root, role) };
  }

  /** Re-signs whatever is within a quarter of its lifetime of expiring; run on a timer. */
  async resignExpiring(): Promise<'targets' | 'snapshot' | 'timestamp' | null> {
    const now = this.now().getTime();
    for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
      const latest = await this.repo.latestMetadata(role);
      if (!latest || Date.parse(latest.expires) - now < this.lifetimes[role] / 4) {
        await this.issue(role);
        return role;
      }
    }
    return null;
  }

  private keysFor(root: RootSigned, role: TopLevelRole) {
    const keys = this.keyring.forRole(root, role);
    if (keys.length < root.roles[role].threshold) {
      throw new Error(`this server holds ${keys.length} ${role} key(s) of root v${root.version}; ${root.roles[role].threshold} are needed to sign`);
    }
    return keys;
  }

  /**
   * Pre-publish check: a signature in the version document (`wharf` field) must cover the exact
   * files and tarball, by a key registered to the publisher; unsigned publishes pass unless the
   * scope (or `*`) requires signatures.
   */
  async checkPublish(c: PublishCandidate): Promise<void> {
    const files = c.fileHashes;
    for (const path of Object.keys(files)) {
      if (/[\u0000-\u001f\u007f]/.test(path)) throw unprocessable(`file name ${JSON.stringify(path)} contains control characters, which signed metadata cannot carry`);
    }
    const integrity = c.integrity;
    const field = c.manifest.wharf;
    if (field === undefined) {
      const scope = parsePackageName(c.name);
      const scopes = ['*', ...(!isPackageNameError(scope) && scope.scope ? [scope.scope] : [])];
      for (const s of scopes) {
        if (await this.repo.requiresSignature(s)) {
          throw unprocessable(`${s === '*' ? 'this registry' : `scope @${s}`} requires signed publishes: register a key (wharf keys register) and publish with \`wharf publish --key FILE\``);
        }
      }
      this.checked.set(c.tarball, { files, signature: null, commit: gitHead(c.manifest) });
      return;
    }
    const parsed = PackageSignatureFieldSchema.safeParse(field);
    if (!parsed.success) throw unprocessable(`the version document's "wharf" signature field is malformed: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
    const sent = parsed.data;
    const differing = [...new Set([...Object.keys(files), ...Object.keys(sent.files)])].filter((p) => files[p] !== sent.files[p]);
    if (differing.length > 0) throw unprocessable(`signed file hashes do not match the tarball (${differing.slice(0, 3).join(', ')})`);
    const key = await this.repo.key(sent.signature.keyid);
    if (!key || key.user_id !== c.principal.userId) throw unprocessable(`signing key ${sent.signature.keyid} is not registered to ${c.principal.name}: run wharf keys register`);
    if (key.revoked_at) throw unprocessable(`signing key ${sent.signature.keyid} was revoked on ${key.revoked_at}`);
    if (!(await verifyPackageSignature(key.public_key, sent.signature.sig, { name: c.name, version: c.version, integrity, files }))) {
      throw unprocessable(`the publisher signature does not verify for ${c.name}@${c.version} with key ${sent.signature.keyid}`);
    }
    this.checked.set(c.tarball, { files, signature: { ...sent.signature, public: key.public_key }, commit: gitHead(c.manifest) });
  }

  /** After the version is stored: countersign, record provenance, list it in new signed metadata. */
  async recordPublish(v: PublishedVersion): Promise<void> {
    const checked = this.checked.get(v.tarball) ?? { files: v.fileHashes, signature: null, commit: gitHead(v.packageJson) };
    const root = await this.root();
    const [registryKey] = this.keysFor(root, 'targets');
    const sha512 = Buffer.from(v.integrity.slice('sha512-'.length), 'base64').toString('hex');
    const at = this.now().toISOString();
    const provenance = provenanceEnvelope(
      {
        name: v.name,
        version: v.version,
        sha512,
        files: checked.files,
        publisher: v.principal.name,
        tokenId: v.principal.tokenKey,
        repository: repositoryOf(v.packageJson),
        commit: checked.commit,
        developerKeyid: checked.signature?.keyid ?? null,
        builderId: this.opts.builderId,
      at,
      },
      registryKey!,
    );
    await this.repo.addVersion({
      package: v.name,
      version: v.version,
      integrity: v.integrity,
      length: v.tarball.length,
      sha256: createHash('sha256').update(v.tarball).digest('hex'),
      sha512,
      files: JSON.stringify(checked.files),
      signature: checked.signature ? JSON.stringify(checked.signature) : null,
      countersignature: JSON.stringify({ keyid: registryKey!.keyid, sig: signNative(registryKey!, packageDigestPayload({ name: v.name, version: v.version, integrity: v.integrity, files: checked.files })) }),
      provenance: JSON.stringify(provenance),
      revoked_reason: null,
      revoked_at: null,
      revoked_by: null,
      created_at: at,
    });
    await this.issue('targets');
  }

  /**
   * Lists versions that were stored but never reached signed metadata (the step after the commit
   * failed: a database error, a crash), through the same checks and records as a publish: a
   * signature in the stored version document is verified again, a scope's policy still applies, and
   * a version failing them stays unlisted. Only versions older than `settleMs` are taken, so that a
   * publish still running its hooks is left alone. Returns how many it listed.
   */
  async reconcile(readTarball: (blobKey: string) => Promise<Buffer | null>, opts: { settleMs?: number; onSkip?: (err: unknown, name: string, version: string) => void } = {}): Promise<number> {
    // A crash between a version's trust record and the targets issued after it leaves the record
    // out of every signed targets until something re-issues them: that happens here, at once.
    if (await this.targetsBehind()) await this.issue('targets');
    const before = new Date(this.now().getTime() - (opts.settleMs ?? DEFAULT_SETTLE_MS)).toISOString();
    let listed = 0;
    for (const row of await this.repo.unlisted(before, 100)) {
      const tarball = await readTarball(row.blob_key);
      if (!tarball) continue;
      const manifest = JSON.parse(row.manifest) as Record<string, unknown>;
      const principal: Principal = { userId: row.publisher_id, name: row.publisher, role: row.role as Principal['role'], readonly: false, tokenKey: null };
      try {
        const fileHashes = await tarballFileHashes(tarball);
        const version = { name: row.package, version: row.version, integrity: row.integrity, files: [], fileHashes, packageJson: manifest, tarball, principal };
        await this.checkPublish({ ...version, manifest });
        await this.recordPublish({ ...version, tags: [] });
        listed++;
      } catch (err) {
        opts.onSkip?.(err, row.package, row.version);
      }
    }
    return listed;
  }

  /** Whether the latest signed targets list other versions than the trust records (which they are made from). */
  private async targetsBehind(): Promise<boolean> {
    const latest = await this.repo.latestMetadata('targets');
    if (!latest) return true;
    const listed = new Set(Object.keys(parseEnvelope('targets', latest.body).signed.targets));
    const recorded = (await this.repo.catalog()).map((r) => targetPath(r.package, r.version));
    return recorded.length !== listed.size || recorded.some((path) => !listed.has(path));
  }

  async provenance(name: string, version: string): Promise<DsseEnvelope> {
    const row = await this.repo.version(name, version);
    if (!row) throw notFound(`no provenance for ${name}@${version}`);
    return JSON.parse(row.provenance) as DsseEnvelope;
  }

  /** Marks a version revoked in signed targets metadata (admin or package owner). */
  async revoke(principal: Principal | null, body: RevokeBody): Promise<void> {
    const caller = requireWriter(principal);
    const doc = await this.store.packages.getDocument(body.name);
    if (!doc || !doc.versions.some((v) => v.version === body.version)) throw notFound(`${body.name}@${body.version} does not exist`);
    if (!isAdmin(caller) && !doc.owners.some((o) => o.name === caller.name)) throw forbidden(`you (${caller.name}) are neither an admin nor an owner of ${body.name}`);
    const row = await this.repo.version(body.name, body.version);
    if (!row) throw notFound(`${body.name}@${body.version} has no trust record (published before trust metadata existed)`);
    if (row.revoked_at) return;
    await this.changeTargets(async (trx) => {
      if (!(await new TrustRepository(trx).revoke(body.name, body.version, body.reason, caller.name, this.now().toISOString()))) return;
      await this.audit.record({ actor: caller.name, action: 'trust.revoke-version', target: `version:${body.name}@${body.version}`, before: { revoked: false }, after: { revoked: true, reason: body.reason } }, trx);
    });
  }

  /**
   * Accepts root N+1 (signed offline by a threshold of root N's keys and of its own), then
   * re-issues every other role under it so clients see the rotation at their next refresh.
   */
  async updateRoot(principal: Principal | null, envelope: unknown): Promise<number> {
    const actor = authorize(principal, 'trust.root').name;
    const text = JSON.stringify(envelope);
    let next;
    try {
      next = parseEnvelope('root', text);
    } catch (err) {
      throw badRequest(isTrustError(err) ? err.message : 'not a root metadata envelope');
    }
    const current = await this.root();
    if (next.signed.version !== current.version + 1) throw unprocessable(`new root must be version ${current.version + 1}, got ${next.signed.version}`);
    if (Date.parse(next.signed.expires) <= this.now().getTime()) throw unprocessable(`new root expired at ${next.signed.expires}`);
    try {
      await verifyThreshold(current, 'root', next, `root v${next.signed.version} (by root v${current.version}'s keys)`);
      await verifyThreshold(next.signed, 'root', next, `root v${next.signed.version} (by its own keys)`);
    } catch (err) {
      throw unprocessable(isTrustError(err) ? err.message : String(err));
    }
    await this.keyring.reload();
    for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
      const held = this.keyring.forRole(next.signed, role).length;
      if (held < next.signed.roles[role].threshold) {
        throw unprocessable(`this server holds ${held} of the ${next.signed.roles[role].threshold} ${role} keys root v${next.signed.version} requires: add the key files to the keys directory first`);
      }
    }
    await this.repo.transaction(async (repo, trx) => {
      await repo.insertMetadata([{ role: 'root', version: next.signed.version, body: text, expires: next.signed.expires }], this.now().toISOString());
      await this.audit.record({ actor, action: 'trust.rotate-root', target: 'trust:root', before: rootSummary(current), after: rootSummary(next.signed) }, trx);
    });
    await this.issue('targets');
    return next.signed.version;
  }
}

/** What a root decides: its version, expiry, and each role's key ids and threshold (the signed envelope stays in trust_metadata). */
const rootSummary = (root: RootSigned) => ({
  version: root.version,
  expires: root.expires,
  roles: Object.fromEntries(TOP_LEVEL_ROLES.map((role) => [role, { keyids: root.roles[role].keyids, threshold: root.roles[role].threshold }])),
});

const gitHead = (doc: Record<string, unknown>): string | null => (typeof doc.gitHead === 'string' && /^[0-9a-f]{7,64}$/.test(doc.gitHead) ? doc.gitHead : null);
