import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { snapshotContentHash, type PublishedSnapshot, type SnapshotHistory, type SnapshotPreview, type SnapshotStage } from '@wharf/core';
import type { Database } from '../storage/schema.js';
import { isUniqueViolation } from '../storage/database.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { DomainEvents } from '../events/domain-events.js';
import { conflict, notFound } from '../errors.js';
import { SnapshotRepository, type StageName, type StageRow, type VersionRow } from './snapshot-repository.js';
import { assertValid, compileConfigSchema } from './schema-validator.js';

type Doc = Record<string, unknown>;

/**
 * draft → preview → published configuration. The draft and preview are working copies; publishing
 * freezes the draft into a new numbered, content-hashed, immutable version in one transaction with
 * its audit row. A rollback republishes an earlier version's content as a new version, so versions
 * only grow and every client cache sees the change.
 */
export class SnapshotService {
  private readonly repo: SnapshotRepository;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
    private readonly events: DomainEvents,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repo = new SnapshotRepository(db);
  }

  async schema(): Promise<Doc | null> {
    const row = await this.repo.stage(this.db, 'schema');
    return row ? (JSON.parse(row.document) as Doc) : null;
  }

  /** Registers the JSON Schema; the current draft must already satisfy it, or it is refused. */
  async setSchema(actor: string, schema: Doc): Promise<void> {
    const validate = compileConfigSchema(schema);
    await this.db.transaction().execute(async (trx) => {
      const draft = await this.repo.stage(trx, 'draft');
      if (draft) assertValid(validate, JSON.parse(draft.document));
      const before = await this.repo.stage(trx, 'schema');
      await this.repo.putStage(trx, this.stageRow('schema', schema, actor));
      await this.audit.record({ actor, action: 'snapshots.schema', target: 'config:schema', before: before ? JSON.parse(before.document) : null, after: schema }, trx);
    });
  }

  async saveDraft(actor: string, document: Doc): Promise<SnapshotStage> {
    return this.db.transaction().execute(async (trx) => {
      const schema = await this.repo.stage(trx, 'schema');
      if (schema) assertValid(compileConfigSchema(JSON.parse(schema.document) as Doc), document);
      const before = await this.repo.stage(trx, 'draft');
      const row = this.stageRow('draft', document, actor);
      await this.repo.putStage(trx, row);
      await this.audit.record({ actor, action: 'snapshots.draft', target: 'config:draft', before: before ? snapshotContentHash(JSON.parse(before.document)) : null, after: snapshotContentHash(document) }, trx);
      return toStage(row);
    });
  }

  /** Copies the draft to preview, where QA looks at exactly what publish would freeze. */
  async preview(actor: string): Promise<SnapshotStage> {
    return this.db.transaction().execute(async (trx) => {
      const draft = await this.repo.stage(trx, 'draft');
      if (!draft) throw notFound('there is no draft to preview');
      const before = await this.repo.stage(trx, 'preview');
      const row = { ...draft, stage: 'preview', updated_at: this.now().toISOString(), updated_by: actor, preview_key: randomBytes(24).toString('base64url') };
      await this.repo.putStage(trx, row);
      const hash = snapshotContentHash(JSON.parse(draft.document));
      await this.audit.record({ actor, action: 'snapshots.preview', target: 'config:preview', before: before ? snapshotContentHash(JSON.parse(before.document)) : null, after: hash }, trx);
      return toStage(row);
    });
  }

  /** What the preview link shows: the preview, to whoever holds the link (a tester's host app); null for a stale or wrong key. */
  async previewByKey(key: string): Promise<SnapshotPreview | null> {
    const row = await this.repo.previewByKey(key);
    if (!row) return null;
    const document = JSON.parse(row.document) as Doc;
    return { contentHash: snapshotContentHash(document), updatedAt: row.updated_at, document };
  }

  async stage(stage: 'draft' | 'preview'): Promise<SnapshotStage> {
    const row = await this.repo.stage(this.db, stage);
    if (!row) throw notFound(`there is no ${stage}`);
    return toStage(row);
  }

  /** Freezes the draft (validated against the schema once more) as the next published version. */
  async publish(actor: string): Promise<PublishedSnapshot> {
    const published = await this.append(actor, 'snapshots.publish', async (trx) => {
      const draft = await this.repo.stage(trx, 'draft');
      if (!draft) throw notFound('there is no draft to publish');
      const document = JSON.parse(draft.document) as Doc;
      const schema = await this.repo.stage(trx, 'schema');
      if (schema) assertValid(compileConfigSchema(JSON.parse(schema.document) as Doc), document);
      return { document, rollbackOf: null };
    });
    return published;
  }

  /** Republishes version `version`'s content as a new version. */
  async rollback(actor: string, version: number): Promise<PublishedSnapshot> {
    return this.append(actor, 'snapshots.rollback', async (trx) => {
      const earlier = await this.repo.version(trx, version);
      if (!earlier) throw notFound(`published version ${version} does not exist`);
      return { document: JSON.parse(earlier.document) as Doc, rollbackOf: version };
    });
  }

  async published(): Promise<PublishedSnapshot | null> {
    const row = await this.repo.current(this.db);
    return row ? toPublished(row) : null;
  }

  async version(version: number): Promise<PublishedSnapshot> {
    const row = await this.repo.version(this.db, version);
    if (!row) throw notFound(`published version ${version} does not exist`);
    return toPublished(row);
  }

  async history(): Promise<SnapshotHistory> {
    const rows = await this.repo.history();
    return {
      current: rows[0]?.version ?? null,
      versions: rows.map((r) => ({ version: r.version, contentHash: r.content_hash, publishedAt: r.published_at, publishedBy: r.published_by, rollbackOf: r.rollback_of })),
    };
  }

  private async append(actor: string, action: string, source: (trx: Kysely<Database>) => Promise<{ document: Doc; rollbackOf: number | null }>): Promise<PublishedSnapshot> {
    let row: VersionRow;
    try {
      row = await this.db.transaction().execute(async (trx) => {
        const { document, rollbackOf } = await source(trx);
        const current = await this.repo.current(trx);
        const next: VersionRow = {
          version: (current?.version ?? 0) + 1,
          document: JSON.stringify(document),
          content_hash: snapshotContentHash(document),
          published_at: this.now().toISOString(),
          published_by: actor,
          rollback_of: rollbackOf,
        };
        await this.repo.insertVersion(trx, next);
        await this.audit.record(
          {
            actor,
            action,
            target: `config:${next.version}`,
            before: current ? { version: current.version, contentHash: current.content_hash } : null,
            after: { version: next.version, contentHash: next.content_hash, rollbackOf },
          },
          trx,
        );
        return next;
      });
    } catch (err) {
      // Two publishes raced for the same number: the loser's transaction rolled back whole.
      if (isUniqueViolation(err)) throw conflict('another publish happened at the same time: retry');
      throw err;
    }
    await this.events.emit('snapshot.published', { version: row.version, contentHash: row.content_hash });
    return toPublished(row);
  }

  private stageRow(stage: StageName, document: Doc, actor: string): StageRow {
    return { stage, document: JSON.stringify(document), updated_at: this.now().toISOString(), updated_by: actor, preview_key: null };
  }
}

function toStage(row: StageRow): SnapshotStage {
  const document = JSON.parse(row.document) as Doc;
  return { stage: row.stage as 'draft' | 'preview', document, contentHash: snapshotContentHash(document), updatedAt: row.updated_at, updatedBy: row.updated_by, previewKey: row.preview_key };
}

function toPublished(row: VersionRow): PublishedSnapshot {
  return { version: row.version, contentHash: row.content_hash, publishedAt: row.published_at, publishedBy: row.published_by, rollbackOf: row.rollback_of, document: JSON.parse(row.document) as Doc };
}
