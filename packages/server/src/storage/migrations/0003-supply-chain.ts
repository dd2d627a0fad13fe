import type { Kysely, Migration } from 'kysely';

/**
 * SBOMs (one per published version, never rewritten), imported OSV advisories with the npm
 * package names they affect (the lookup key of publish checks and `npm audit`), vulnerability
 * policies per scope, and the findings a publish was flagged with under the "flag" policy.
 */
export const supplyChainTables: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('sboms')
      .addColumn('package', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('sboms_pk', ['package', 'version'])
      .execute();
    await db.schema
      .createTable('advisories')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('modified', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('imported_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('advisory_packages')
      .addColumn('advisory_id', 'text', (c) => c.notNull().references('advisories.id').onDelete('cascade'))
      .addColumn('package', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('advisory_packages_pk', ['advisory_id', 'package'])
      .execute();
    await db.schema.createIndex('advisory_packages_package').on('advisory_packages').column('package').execute();
    await db.schema
      .createTable('scope_policies')
      .addColumn('scope', 'text', (c) => c.primaryKey())
      .addColumn('vulnerable', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('vulnerability_flags')
      .addColumn('package', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('advisory_id', 'text', (c) => c.notNull())
      .addColumn('component', 'text', (c) => c.notNull())
      .addColumn('declared_range', 'text', (c) => c.notNull())
      .addColumn('flagged_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('vulnerability_flags_pk', ['package', 'version', 'advisory_id', 'component'])
      .execute();
  },
};
