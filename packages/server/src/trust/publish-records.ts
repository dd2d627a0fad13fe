import { createHash } from 'node:crypto';
import { tarballFileHashes } from '@wharf/tarball/node';
import { PackageSignatureFieldSchema, isPackageNameError, packageDigestPayload, parseEnvelope, parsePackageName, targetPath, verifyPackageSignature, type DsseEnvelope } from '@wharf/core';
import { notFound, unprocessable } from '../errors.js';
import type { Principal } from '../access/principal.js';
import type { PublishCandidate, PublishedVersion } from '../events/domain-events.js';
import { signNative } from './native-signer.js';
import { provenanceEnvelope, repositoryOf } from './provenance.js';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { TrustRepository } from './trust-repository.js';
import type { TrustService } from './trust-service.js';

/**
 * How old a stored version without a trust record must be before reconcile takes it over: long
 * enough for a publish still running its after-commit steps (on any replica) to finish them.
 */
const DEFAULT_SETTLE_MS = 30_000;

interface Checked {
  files: Record<string, string>;
  signature: { keyid: string; sig: string; public: string } | null;
  /** npm writes `gitHead` into the version document, not into package.json. */
  commit: string | null;
}

/**
 * What trust records of each published version: the publisher-signature check before it is stored,
 * then the registry's countersignature, the provenance statement and the trust record that signed
 * targets list (TrustService signs them); and the repair of versions a failed step left unlisted.
 */
export class PublishRecords {
  /** Work done by checkPublish, handed to recordPublish without hashing twice. */
  private readonly checked = new WeakMap<Buffer, Checked>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly repo: TrustRepository,
    private readonly trust: TrustService,
    private readonly opts: { builderId: string; now?: () => Date },
  ) {}

  private now(): Date {
    return this.opts.now?.() ?? new Date();
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
    const [registryKey] = (await this.trust.signingKeys('targets')).keys;
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
    const record = {
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
    };
    await this.db.transaction().execute((trx) => this.repo.addVersion(trx, record));
    await this.trust.issue('targets');
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
    if (await this.targetsBehind()) await this.trust.issue('targets');
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
}

const gitHead = (doc: Record<string, unknown>): string | null => (typeof doc.gitHead === 'string' && /^[0-9a-f]{7,64}$/.test(doc.gitHead) ? doc.gitHead : null);
