/**
 * Table types for Kysely. Timestamps are ISO-8601 strings and JSON is text, so that one
 * code path serves SQLite and PostgreSQL with identical results (ISO strings sort as time).
 */

export interface UsersTable {
  id: string;
  name: string;
  email: string | null;
  password_hash: string;
  role: string;
  created_at: string;
}

export interface TokensTable {
  /** Public identifier shown by `npm token list`; never the secret. */
  key: string;
  user_id: string;
  /** sha256 of the secret: a database leak does not leak usable tokens. */
  token_hash: string;
  token_prefix: string;
  readonly: number;
  cidr_whitelist: string;
  name: string | null;
  created_at: string;
  expires_at: string | null;
  /** The role the token is scoped to; null: it acts with its user's role. */
  role: string | null;
}

/** One-time setup tokens by purpose (`admin`: create the first admin account); sha256 of the secret. */
export interface SetupTokensTable {
  purpose: string;
  token_hash: string;
  created_at: string;
}

/** A delta built between two versions of a package (`offered` 0: not worth serving). */
export interface DeltasTable {
  package: string;
  from_version: string;
  to_version: string;
  offered: number;
  blob_key: string | null;
  length: number;
  sha256: string;
  full_length: number;
  created_at: string;
}

export interface PackagesTable {
  name: string;
  scope: string | null;
  description: string | null;
  readme: string | null;
  keywords: string;
  /** Monotonic counter behind CouchDB-style `_rev`, bumped on every change. */
  rev: number;
  created_at: string;
  modified_at: string;
}

export interface PackageOwnersTable {
  package: string;
  user_id: string;
}

export interface ScopesTable {
  scope: string;
  owner_id: string;
  created_at: string;
}

export interface VersionsTable {
  package: string;
  version: string;
  /** The version document as published, minus fields the registry owns (dist.tarball is rewritten on read). */
  manifest: string;
  integrity: string;
  shasum: string;
  size: number;
  blob_key: string;
  deprecated: string | null;
  published_at: string;
  publisher_id: string;
  /** The registry's npm signature, JSON `{keyid, sig}`; null for versions published before it signed (0016). */
  npm_signature: string | null;
}

export interface DistTagsTable {
  package: string;
  tag: string;
  version: string;
}

export interface VersionTombstonesTable {
  package: string;
  version: string;
  removed_at: string;
}

/** Append-only; each row's hash covers its content and the previous row's hash (see @wharf/core auditHash). */
export interface AuditLogTable {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  /** JSON. */
  before: string;
  /** JSON. */
  after: string;
  prev_hash: string;
  hash: string;
}

/** CycloneDX JSON of one published version, built at publish time and never rewritten. */
export interface SbomsTable {
  package: string;
  version: string;
  document: string;
  created_at: string;
}

/** An imported OSV advisory; re-importing the same id replaces it. */
export interface AdvisoriesTable {
  id: string;
  /** OSV `modified`, as sent. */
  modified: string;
  /** The OSV JSON as validated. */
  document: string;
  imported_at: string;
}

/** npm package names an advisory affects: how publishes and `npm audit` find it. */
export interface AdvisoryPackagesTable {
  advisory_id: string;
  package: string;
}

/** What publishing a package with a vulnerable dependency does in a scope ("*" is the registry default). */
export interface ScopePoliciesTable {
  scope: string;
  vulnerable: string;
  updated_at: string;
  updated_by: string;
}

/** A finding a version was published with under the "flag" policy. */
export interface VulnerabilityFlagsTable {
  package: string;
  version: string;
  advisory_id: string;
  component: string;
  declared_range: string;
  flagged_at: string;
}

/** A marketplace listing; `state` is pending | published | suspended. Tags and screenshots are JSON arrays. */
export interface PluginsTable {
  id: string;
  name: string;
  description: string;
  category: string;
  package: string | null;
  tags: string;
  homepage: string | null;
  icon: string | null;
  screenshots: string;
  publisher: string | null;
  owner_id: string;
  state: string;
  installs: number;
  created_at: string;
  updated_at: string;
}

export interface PluginReviewsTable {
  id: string;
  plugin_id: string;
  /** null once the author erased their account. */
  user_id: string | null;
  rating: number;
  title: string | null;
  body: string;
  hidden: number;
  created_at: string;
  updated_at: string;
}

export interface ModerationReportsTable {
  id: string;
  plugin_id: string;
  review_id: string | null;
  reporter_id: string | null;
  reason: string;
  details: string;
  state: string;
  resolution: string | null;
  resolved_by: string | null;
  created_at: string;
  resolved_at: string | null;
}

/** Opt-in counters as received (no user, address or device); purged after 90 days. */
export interface AnalyticsEventsTable {
  id: string;
  plugin_id: string;
  version: string | null;
  day: string;
  installs: number;
  activations: number;
  errors: number;
  received_at: string;
}

export interface PluginDailyStatsTable {
  plugin_id: string;
  day: string;
  installs: number;
  activations: number;
  errors: number;
}

/** One searchable thing: a listing (`plugin:<id>`) or a registry package (`package:<name>`). */
export interface SearchDocumentsTable {
  doc_id: string;
  kind: string;
  ref: string;
  name: string;
  description: string;
  keywords: string;
  category: string | null;
  /** JSON array. */
  tags: string;
  package: string | null;
  popularity: number;
  rating_sum: number;
  rating_count: number;
  min_host_key: string | null;
  min_host_version: string | null;
  /** Sortable form of the first host version no longer supported (exclusive upper bound); null: none. */
  max_host_key: string | null;
  updated_at: string;
  /** SQLite only: rowid of the document in the FTS5 table. */
  text_id: number | null;
}

export interface SearchTagsTable {
  doc_id: string;
  tag: string;
}

/** One row (id 1): the generation every search index write bumps, which the search caches are keyed by. */
export interface SearchStateTable {
  id: number;
  generation: number;
}

/** Every version of every TUF role (root, targets, snapshot, timestamp), kept: see migrations/0002-trust.ts. */
export interface TrustMetadataTable {
  role: string;
  version: number;
  /** JSON. */
  body: string;
  expires: string;
  created_at: string;
}

export interface TrustDeveloperKeysTable {
  keyid: string;
  user_id: string;
  public_key: string;
  name: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface TrustVersionsTable {
  package: string;
  version: string;
  integrity: string;
  length: number;
  sha256: string;
  sha512: string;
  /** JSON. */
  files: string;
  signature: string | null;
  countersignature: string;
  /** JSON. */
  provenance: string;
  revoked_reason: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  created_at: string;
}

export interface TrustScopePoliciesTable {
  scope: string;
  require_signature: number;
  updated_at: string;
  updated_by: string;
}

/** One revision of the flag set; the latest is current. See migrations/0005-flags.ts. */
export interface FlagRevisionsTable {
  /** The flag set's version number, bumped by every change. */
  revision: number;
  /** JSON: { features, segments } in Unleash's client-features format, as operators wrote it. */
  definition: string;
  /** JSON array of the flag keys whose kill switch (FORCE_OFF) is on. */
  forced_off: string;
  created_at: string;
  actor: string;
}

/** Config working copies: stage is 'schema', 'draft' or 'preview'; document is JSON. */
export interface ConfigStagesTable {
  stage: string;
  document: string;
  updated_at: string;
  updated_by: string;
  /** The preview's link key (0017); null for the draft and the schema. */
  preview_key: string | null;
}

/** Published config versions, never updated. */
export interface ConfigVersionsTable {
  version: number;
  document: string;
  content_hash: string;
  published_at: string;
  published_by: string;
  rollback_of: number | null;
}

export interface ReleasePolicyTable {
  id: string;
  /** JSON ReleasePolicy. */
  policy: string;
  updated_at: string;
  updated_by: string;
}

export interface RolloutsTable {
  id: string;
  plugin: string;
  channel: string;
  version: string;
  previous_version: string | null;
  /** Hundredths of a percent, 0..10000. */
  percentage_bp: number;
  state: string;
  /** Basis points, 0..10000. */
  error_threshold_bp: number;
  min_sample: number;
  reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface VersionHealthTable {
  plugin: string;
  version: string;
  activations: number;
  errors: number;
  updated_at: string;
}

/** One signed catalog (see migrations/0007-catalog.ts); older rows are pruned. */
export interface CatalogVersionsTable {
  version: number;
  /** sha256 of what the catalog says (plugins and flags), without its version and times. */
  content_hash: string;
  /** The signed envelope as served. */
  body: string;
  expires: string;
  created_at: string;
}

/** Versions of app config documents by key (see migrations/0008-sources.ts); never updated. */
export interface AppConfigVersionsTable {
  key: string;
  version: number;
  /** JSON document. */
  document: string;
  content_hash: string;
  updated_at: string;
  updated_by: string;
}

/** Opt-in client counts per source and UTC day, added up (bigint: read through Number()). */
export interface SourceStatsTable {
  source: string;
  day: string;
  requests: number;
  errors: number;
  rate_limited: number;
  fallbacks: number;
}

/** The latest server-side probe of each configured source. */
export interface SourceProbesTable {
  source: string;
  url: string;
  /** 1 or 0. */
  ok: number;
  status: number | null;
  latency_ms: number | null;
  error: string | null;
  checked_at: string;
  consecutive_failures: number;
}

export interface Database {
  app_config_versions: AppConfigVersionsTable;
  source_stats: SourceStatsTable;
  source_probes: SourceProbesTable;
  catalog_versions: CatalogVersionsTable;
  flag_revisions: FlagRevisionsTable;
  users: UsersTable;
  tokens: TokensTable;
  setup_tokens: SetupTokensTable;
  deltas: DeltasTable;
  packages: PackagesTable;
  package_owners: PackageOwnersTable;
  scopes: ScopesTable;
  versions: VersionsTable;
  dist_tags: DistTagsTable;
  version_tombstones: VersionTombstonesTable;
  plugins: PluginsTable;
  plugin_reviews: PluginReviewsTable;
  moderation_reports: ModerationReportsTable;
  analytics_events: AnalyticsEventsTable;
  plugin_daily_stats: PluginDailyStatsTable;
  search_documents: SearchDocumentsTable;
  search_tags: SearchTagsTable;
  search_state: SearchStateTable;
  sboms: SbomsTable;
  advisories: AdvisoriesTable;
  advisory_packages: AdvisoryPackagesTable;
  scope_policies: ScopePoliciesTable;
  vulnerability_flags: VulnerabilityFlagsTable;
  audit_log: AuditLogTable;
  trust_metadata: TrustMetadataTable;
  trust_developer_keys: TrustDeveloperKeysTable;
  trust_versions: TrustVersionsTable;
  trust_scope_policies: TrustScopePoliciesTable;
  config_stages: ConfigStagesTable;
  config_versions: ConfigVersionsTable;
  release_policy: ReleasePolicyTable;
  rollouts: RolloutsTable;
  version_health: VersionHealthTable;
}
