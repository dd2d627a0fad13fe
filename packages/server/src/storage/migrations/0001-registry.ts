import type { Kysely, Migration } from 'kysely';

/**
 * Users, tokens, packages, versions and dist-tags: what the npm protocol needs. Tombstones keep the
 * versions once unpublished, which may never be reused: their tarball URLs are cached as immutable.
 */
export const registryTables: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('email', 'text')
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('tokens')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('token_prefix', 'text', (c) => c.notNull())
      .addColumn('readonly', 'integer', (c) => c.notNull())
      .addColumn('cidr_whitelist', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .execute();
    await db.schema.createIndex('tokens_user').on('tokens').column('user_id').execute();
    await db.schema
      .createTable('packages')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('scope', 'text')
      .addColumn('description', 'text')
      .addColumn('readme', 'text')
      .addColumn('keywords', 'text', (c) => c.notNull())
      .addColumn('rev', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('modified_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('package_owners')
      .addColumn('package', 'text', (c) => c.notNull().references('packages.name').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('package_owners_pk', ['package', 'user_id'])
      .execute();
    await db.schema
      .createTable('scopes')
      .addColumn('scope', 'text', (c) => c.primaryKey())
      .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('versions')
      .addColumn('package', 'text', (c) => c.notNull().references('packages.name').onDelete('cascade'))
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('manifest', 'text', (c) => c.notNull())
      .addColumn('integrity', 'text', (c) => c.notNull())
      .addColumn('shasum', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('blob_key', 'text', (c) => c.notNull())
      .addColumn('deprecated', 'text')
      .addColumn('published_at', 'text', (c) => c.notNull())
      .addColumn('publisher_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('versions_pk', ['package', 'version'])
      .execute();
    await db.schema.createIndex('versions_blob').on('versions').column('blob_key').execute();
    await db.schema
      .createTable('dist_tags')
      .addColumn('package', 'text', (c) => c.notNull().references('packages.name').onDelete('cascade'))
      .addColumn('tag', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('dist_tags_pk', ['package', 'tag'])
      .execute();
    await db.schema
      .createTable('version_tombstones')
      .addColumn('package', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('removed_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('version_tombstones_pk', ['package', 'version'])
      .execute();
  },
};
