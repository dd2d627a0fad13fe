import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';

/** What a provenance statement (trust/provenance.ts) says about the publisher. */
interface ProvenanceParameters {
  publisher: string | null;
  tokenId: string | null;
  developerKeyid: string | null;
}

/** What GDPR export and erasure read and change across the tables that hold a user's personal data. */
export class PrivacyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async export(userId: string) {
    const user = await this.db.selectFrom('users').select(['id', 'name', 'email', 'role', 'created_at']).where('id', '=', userId).executeTakeFirst();
    if (!user) return null;
    const [tokens, packages, scopes, versions, keys, provenance, listings, reviews, reports, audit] = await Promise.all([
      this.db.selectFrom('tokens').select(['key', 'name', 'readonly', 'role', 'cidr_whitelist', 'created_at', 'expires_at']).where('user_id', '=', userId).orderBy('created_at').execute(),
      this.db.selectFrom('package_owners').select('package').where('user_id', '=', userId).orderBy('package').execute(),
      this.db.selectFrom('scopes').select('scope').where('owner_id', '=', userId).orderBy('scope').execute(),
      this.db.selectFrom('versions').select(['package', 'version', 'published_at']).where('publisher_id', '=', userId).orderBy('published_at').orderBy('package').execute(),
      this.db.selectFrom('trust_developer_keys').selectAll().where('user_id', '=', userId).orderBy('created_at').execute(),
      this.db
        .selectFrom('trust_versions as t')
        .innerJoin('versions as v', (join) => join.onRef('v.package', '=', 't.package').onRef('v.version', '=', 't.version'))
        .select(['t.package', 't.version', 't.created_at', 't.provenance'])
        .where('v.publisher_id', '=', userId)
        .orderBy('t.created_at')
        .orderBy('t.package')
        .execute(),
      this.db.selectFrom('plugins').select('id').where('owner_id', '=', userId).orderBy('id').execute(),
      this.db.selectFrom('plugin_reviews').selectAll().where('user_id', '=', userId).orderBy('created_at').execute(),
      this.db.selectFrom('moderation_reports').selectAll().where('reporter_id', '=', userId).orderBy('created_at').execute(),
      // The log names users, not ids: entries older than the account belong to an earlier holder of the name.
      this.db
        .selectFrom('audit_log')
        .select(['seq', 'at', 'action', 'target'])
        .where((eb) => eb.or([eb('actor', '=', user.name), eb('target', '=', `user:${user.name}`)]))
        .where('at', '>=', user.created_at)
        .orderBy('seq')
        .execute(),
    ]);
    return {
      user,
      tokens,
      packages: packages.map((p) => p.package),
      scopes: scopes.map((s) => s.scope),
      versions,
      keys,
      provenance: provenance.map((p) => ({ package: p.package, version: p.version, recordedAt: p.created_at, ...provenanceParameters(p.provenance) })),
      listings: listings.map((l) => l.id),
      reviews,
      reports,
      audit: audit.map((a) => ({ ...a, seq: Number(a.seq) })),
    };
  }

  /**
   * Erasure. The account row stays, because published versions and owned packages and listings
   * refer to it by id, but keeps nothing personal: a random name, no email, no password, no tokens.
   * Reviews stay without their author; reports lose their reporter. The `_npmUser` the registry
   * stamped on the user's versions takes the random name and loses the email, as the owner lists
   * do through the renamed row; a listing's publisher naming the user goes, and so do key labels.
   * The rest of a manifest is the package's own content, which is also in its tarball: it stays.
   * Returns the packages whose documents changed, or null when the user does not exist.
   */
  async anonymise(trx: Transaction<Database>, userId: string): Promise<{ reviewedPlugins: string[]; tokensRevoked: number; versionsAnonymised: number; changedPackages: string[] } | null> {
    const user = await trx.selectFrom('users').select(['id', 'name', 'email']).where('id', '=', userId).executeTakeFirst();
    if (!user) return null;
    const placeholder = `deleted-${randomBytes(6).toString('hex')}`;
    const reviewed = await trx.selectFrom('plugin_reviews').select('plugin_id').where('user_id', '=', userId).execute();
    await trx.updateTable('plugin_reviews').set({ user_id: null }).where('user_id', '=', userId).execute();
    await trx.updateTable('moderation_reports').set({ reporter_id: null }).where('reporter_id', '=', userId).execute();
    const tokens = await trx.deleteFrom('tokens').where('user_id', '=', userId).executeTakeFirst();
    await trx.updateTable('trust_developer_keys').set({ name: null }).where('user_id', '=', userId).execute();

    const published = await trx.selectFrom('versions').select(['package', 'version', 'manifest']).where('publisher_id', '=', userId).execute();
    for (const row of published) {
      const manifest = JSON.parse(row.manifest) as Record<string, unknown>;
      await trx
        .updateTable('versions')
        .set({ manifest: JSON.stringify({ ...manifest, _npmUser: { name: placeholder, email: '' } }) })
        .where('package', '=', row.package)
        .where('version', '=', row.version)
        .execute();
    }
    const owned = await trx.selectFrom('package_owners').select('package').where('user_id', '=', userId).execute();
    const changedPackages = [...new Set([...published.map((v) => v.package), ...owned.map((o) => o.package)])].sort();
    // `_rev` moves because the document changed; `modified` stays, as nothing about the package did.
    if (changedPackages.length > 0) await trx.updateTable('packages').set((eb) => ({ rev: eb('rev', '+', 1) })).where('name', 'in', changedPackages).execute();

    const listings = await trx.selectFrom('plugins').select(['id', 'publisher']).where('owner_id', '=', userId).where('publisher', 'is not', null).execute();
    const naming = listings.filter((l) => namesUser(l.publisher!, user)).map((l) => l.id);
    if (naming.length > 0) await trx.updateTable('plugins').set({ publisher: null }).where('id', 'in', naming).execute();

    await trx.updateTable('users').set({ name: placeholder, email: null, password_hash: '!', role: 'reader' }).where('id', '=', userId).execute();
    return { reviewedPlugins: reviewed.map((r) => r.plugin_id), tokensRevoked: Number(tokens.numDeletedRows), versionsAnonymised: published.length, changedPackages };
  }
}

/** A listing's free-text publisher that carries the user's email or is their account name. */
function namesUser(publisher: string, user: { name: string; email: string | null }): boolean {
  const text = publisher.trim().toLowerCase();
  return text === user.name.toLowerCase() || (user.email !== null && user.email !== '' && text.includes(user.email.toLowerCase()));
}

/** The publisher fields of a stored provenance envelope, which the registry itself wrote at publish. */
function provenanceParameters(envelope: string): ProvenanceParameters {
  const { payload } = JSON.parse(envelope) as { payload: string };
  const statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as {
    predicate?: { buildDefinition?: { externalParameters?: { publisher?: unknown; tokenId?: unknown }; internalParameters?: { developerSignature?: { keyid?: unknown } | null } } };
  };
  const build = statement.predicate?.buildDefinition;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return { publisher: str(build?.externalParameters?.publisher), tokenId: str(build?.externalParameters?.tokenId), developerKeyid: str(build?.internalParameters?.developerSignature?.keyid) };
}
