import {
  isTrustError,
  parseEnvelope,
  publicPart,
  verifyThreshold,
  TOP_LEVEL_ROLES,
  type KeyPairFile,
  type RevokeBody,
  type RootSigned,
  type TopLevelRole,
} from '@wharf/core';
import { badRequest, forbidden, notFound, unprocessable } from '../errors.js';
import { isAdmin, requireWriter, type Principal } from '../access/principal.js';
import { authorize } from '../access/permissions.js';
import type { MetadataStore } from '../storage/metadata-store.js';
import type { DomainEvents } from '../events/domain-events.js';
import { metaFileFor, rootDocument, sign, signRootDocument, snapshotMetadata, targetsMetadata, timestampMetadata } from './catalog.js';
import type { Keyring } from './keyring.js';
import type { TrustRepository } from './trust-repository.js';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { AuditLog } from '../audit/audit-log.js';

/** Where a new metadata version starts: each role's new version forces those below it. */
type IssueFrom = 'targets' | 'snapshot' | 'timestamp';
const ISSUE_ORDER: readonly IssueFrom[] = ['targets', 'snapshot', 'timestamp'];

const DAY = 24 * 3600 * 1000;

/** How long each role's metadata stays valid; re-signed when a quarter of that is left. */
export interface TrustLifetimes {
  root: number;
  targets: number;
  snapshot: number;
  timestamp: number;
}
export const DEFAULT_LIFETIMES: TrustLifetimes = { root: 365 * DAY, targets: 90 * DAY, snapshot: 7 * DAY, timestamp: DAY };


/**
 * Signed TUF metadata: issues targets, snapshot and timestamp (one change at a time, re-signed
 * before expiry), revokes versions in them, and accepts new roots. What each publish records is
 * PublishRecords' job, publisher keys PublisherKeys'.
 */
export class TrustService {
  /** Metadata versions are issued one change at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private waiting: { from: IssueFrom; run: Promise<void> } | null = null;

  constructor(
    private readonly repo: TrustRepository,
    private readonly store: MetadataStore,
    private readonly keyring: Keyring,
    private readonly audit: AuditLog,
    private readonly opts: { lifetimes?: TrustLifetimes; now?: () => Date; events?: DomainEvents },
  ) {}

  private get lifetimes(): TrustLifetimes {
    return this.opts.lifetimes ?? DEFAULT_LIFETIMES;
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  private transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.store.db.transaction().execute(fn);
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
      await this.transaction((trx) => this.repo.insertMetadata(trx, [{ role: 'root', version: 1, body, expires: root.expires }], this.now().toISOString()));
    }
    if (!(await this.repo.latestMetadata('timestamp'))) await this.issue('targets');
  }

  async metadata(role: TopLevelRole, version?: number): Promise<string | null> {
    if (version !== undefined) return this.repo.metadataVersion(role, version);
    return (await this.repo.latestMetadata(role))?.body ?? null;
  }

  async root(db: Kysely<Database> = this.store.db): Promise<RootSigned> {
    const latest = await this.repo.latestMetadata('root', db);
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
      const result = await this.transaction(async (trx) => {
        const changed = await change(trx);
        await this.issueNow('targets', trx);
        return changed;
      });
      this.targetsIssued();
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Issues in `trx` when given (a change to what targets list), in a transaction of its own otherwise. */
  private async issueNow(from: IssueFrom, trx?: Transaction<Database>): Promise<void> {
    // Read through the transaction when there is one: SQLite has one connection, which it holds.
    const db = trx ?? this.store.db;
    const repo = this.repo;
    const root = await this.root(db);
    const now = this.now();
    const at = (ms: number) => new Date(now.getTime() + ms);
    const rows: { role: string; version: number; body: string; expires: string }[] = [];
    const latest = { targets: await repo.latestMetadata('targets', db), snapshot: await repo.latestMetadata('snapshot', db), timestamp: await repo.latestMetadata('timestamp', db) };
    let targets = latest.targets;
    if (from === 'targets' || !targets) {
      const version = (targets?.version ?? 0) + 1;
      const signed = targetsMetadata(version, at(this.lifetimes.targets), await repo.catalog(db), await repo.offeredDeltas(db));
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
    const stamp = now.toISOString();
    if (trx) await repo.insertMetadata(trx, rows, stamp);
    else await this.transaction((own) => repo.insertMetadata(own, rows, stamp));
    // Inside a transaction the listeners wait for its commit (changeTargets tells them).
    if (rows[0]?.role === 'targets' && !trx) this.targetsIssued();
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
      if (!(await this.repo.revoke(trx, body.name, body.version, body.reason, caller.name, this.now().toISOString()))) return;
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
    await this.transaction(async (trx) => {
      await this.repo.insertMetadata(trx, [{ role: 'root', version: next.signed.version, body: text, expires: next.signed.expires }], this.now().toISOString());
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

