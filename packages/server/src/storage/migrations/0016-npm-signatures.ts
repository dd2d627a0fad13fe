import type { Kysely, Migration } from 'kysely';

/**
 * `versions.npm_signature`: the registry's npm signature of the version (`{"keyid","sig"}`), made
 * once at publish and kept, because ECDSA signatures are randomised: signing at each render would
 * give every replica and every restart other packument bytes, so other ETags. Older versions are
 * signed by the registry at start (`RegistryService.signUnsignedVersions`).
 */
export const npmSignatures: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('versions').addColumn('npm_signature', 'text').execute();
  },
};
