import type { Kysely, Migration } from 'kysely';

/**
 * Signed catalog metadata (every version of every TUF role, kept: clients fetch N.root.json and
 * consistent-snapshot names), publishers' registered keys, the trust record of each published
 * version (file hashes, signatures, revocation, provenance) and per-scope signature policies.
 */
export const trustTables: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('trust_metadata')
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('expires', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('trust_metadata_pk', ['role', 'version'])
      .execute();
    await db.schema
      .createTable('trust_developer_keys')
      .addColumn('keyid', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema.createIndex('trust_developer_keys_user').on('trust_developer_keys').column('user_id').execute();
    await db.schema
      .createTable('trust_versions')
      .addColumn('package', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('integrity', 'text', (c) => c.notNull())
      .addColumn('length', 'integer', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('sha512', 'text', (c) => c.notNull())
      .addColumn('files', 'text', (c) => c.notNull())
      .addColumn('signature', 'text')
      .addColumn('countersignature', 'text', (c) => c.notNull())
      .addColumn('provenance', 'text', (c) => c.notNull())
      .addColumn('revoked_reason', 'text')
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('trust_versions_pk', ['package', 'version'])
      .execute();
    await db.schema
      .createTable('trust_scope_policies')
      .addColumn('scope', 'text', (c) => c.primaryKey())
      .addColumn('require_signature', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
  },
};
